"""Feature blueprints: thin routes that validate, call a service, commit and redirect."""
