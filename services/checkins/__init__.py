"""The weekly check-in and its charts."""
