"""Business rules shared by routes, the API, jobs and the CLI, one package per feature.

access/         who may see what: the one gate every route and job asks
accounts/       registration, login, passwords, the mail outbox, export and deletion
checkins/       the weekly check-in and its charts
common/         errors, the one text check, codes, redirects, bulk writes, idempotency keys
conversation/   answering, the reveal, reflecting and feeling heard; reading it back; the coach
couples/        pairing and leaving, pausing and pacing, cache version numbers
delivery/       the clock (when the next slot is), the library, delivering prompts, reminders
notifications/  every notification kind, the outbox, devices, VAPID, quiet hours, the sender
therapist/      therapist links, consent and scope, assignments, notes, the access log, progress
"""
