"""Accounts: registration, login, passwords, password reset, the mail outbox, and a person's data rights (export, deletion)."""
