"""Notifications: every kind and its outbox rows, devices (push subscriptions), VAPID, quiet hours and the sender."""
