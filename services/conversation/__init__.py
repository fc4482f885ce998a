"""The daily conversation: answering, the reveal, reflecting and feeling heard, reading it back, and the coach."""
