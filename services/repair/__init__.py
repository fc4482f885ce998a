"""Repair conversations and commitments: the services routes, the API and jobs share."""
