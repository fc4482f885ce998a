"""Small utilities every feature shares: service errors, the one text check, codes, safe redirects, bulk writes, idempotency keys."""
