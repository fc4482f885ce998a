"""Background work, run by the scheduler process (never inside web workers)."""
