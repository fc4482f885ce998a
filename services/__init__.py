"""Business rules shared by routes, the API, jobs and the CLI."""
