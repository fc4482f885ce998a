"""Couples: pairing and leaving, pausing and pacing, and the version numbers cached pages are checked against."""
