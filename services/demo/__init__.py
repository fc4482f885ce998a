"""Trying Attune alone, in development: a demo couple with history, and one-time sign-in links."""
