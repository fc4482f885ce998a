"""Flask CLI commands for operators (and the tests): load the library, deliver due prompts."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from database import writing
from extensions import db
from services import delivery, library


@click.command("load-prompts")
@with_appcontext
def load_prompts_command():
    """Load data/prompt_library.toml into the database (safe to run any number of times)."""
    with writing():
        report = library.load_library(current_app.config["PROMPT_LIBRARY_PATH"])
        db.session.commit()
    click.echo(
        f"Prompt library: {report.added} added, {report.updated} updated, "
        f"{report.retired} retired, {report.unchanged} unchanged, {report.themes_changed} themes changed."
    )


@click.command("deliver-due")
@with_appcontext
def deliver_due_command():
    """Deliver a prompt now to every couple whose slot has come."""
    with writing():
        count = delivery.deliver_due()
        db.session.commit()
    click.echo(f"Delivered {count} prompt(s).")


def init_app(app: Flask) -> None:
    app.cli.add_command(load_prompts_command)
    app.cli.add_command(deliver_due_command)
