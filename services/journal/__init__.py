"""The private journal: a person's own entries, shared one at a time by choice."""
