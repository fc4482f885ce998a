"""Flask CLI commands for operators (and the tests): load the library, deliver due prompts, send pushes and mail."""

from __future__ import annotations

import logging
import os
import sys

import click
from flask import Flask, current_app, url_for
from flask.cli import with_appcontext

from database import commit_batch, writing
from extensions import db
from jobs import scheduler
from models import User
from services.accounts import mail
from services.delivery import delivery, library
from services.demo import seed, sign_in
from services.notifications.push import PushSender


@click.command("load-prompts")
@with_appcontext
def load_prompts_command():
    """Load data/prompt_library.toml into the database (safe to run any number of times)."""
    # The two steps that take the time, on a progress bar (on stderr, so the summary stays alone on stdout).
    with (
        writing(),
        click.progressbar(
            length=2,
            label="Prompt library",
            file=sys.stderr,
            item_show_func=lambda step: step,
        ) as bar,
    ):
        bar.update(0, "checking the file against the database")
        report = library.load_library(current_app.config["PROMPT_LIBRARY_PATH"])
        bar.update(1, "saving")
        commit_batch()
        bar.update(1, "saved")
    click.echo(
        f"Prompt library: {report.added} added, {report.updated} updated, "
        f"{report.retired} retired, {report.unchanged} unchanged, {report.themes_changed} themes changed."
    )


@click.command("deliver-due")
@with_appcontext
def deliver_due_command():
    """Deliver a prompt now to every couple whose slot has come."""
    with writing():
        count = delivery.deliver_due(end_batch=commit_batch)
    click.echo(f"Delivered {count} prompt(s).")


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """Run the scheduler process: the per-minute tick, the push sender and the mail sender (run exactly one)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    scheduler.run(current_app._get_current_object())


@click.command("send-pushes")
@with_appcontext
def send_pushes_command():
    """Send every push notification that is due now."""
    sender = PushSender(current_app._get_current_object())
    try:
        report = sender.drain(max_seconds=300)
    finally:
        sender.close()
    click.echo(
        f"Pushes: {report.sent} sent, {report.retried} to retry, {report.gone} subscriptions gone, {report.failed} failed."
    )


@click.command("send-mail")
@with_appcontext
def send_mail_command():
    """Send every email waiting in the outbox (the scheduler process does this every few seconds)."""
    report = mail.drain(current_app._get_current_object())
    click.echo(f"Mail: {report.sent} sent, {report.retried} to retry, {report.failed} failed.")


@click.command("demo")
@with_appcontext
def demo_command():
    """Create a demo couple with three weeks of history, and print one-time sign-in links (development only)."""
    if current_app.config["ATTUNE_ENV"] == "production":
        raise click.ClickException("flask demo is for development only; ATTUNE_ENV is production.")
    with writing():
        library.load_library(current_app.config["PROMPT_LIBRARY_PATH"])
        people = seed.create_demo_couple()
        tokens = {
            name: sign_in.issue(db.session.get(User, user_id))
            for name, user_id in (
                ("Alex", people.alex_id),
                ("Sam", people.sam_id),
                ("Dr Rivera (therapist)", people.therapist_id),
            )
        }
        commit_batch()
    base = os.environ.get("ATTUNE_BASE_URL") or f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"
    with current_app.test_request_context(base_url=base):
        links = {name: url_for("demo.sign_in_link", token=token, _external=True) for name, token in tokens.items()}
    click.echo(f"Demo couple Alex and Sam: {people.conversations} conversations over three weeks, three check-ins,")
    click.echo("today's prompt waiting, and a therapist they both let see their progress.")
    click.echo(f"One-time sign-in links (each works once, for {int(sign_in.LINK_AGE.total_seconds() // 60)} minutes;")
    click.echo("open each in its own window or private window):")
    for name, link in links.items():
        click.echo(f"  {name}: {link}")


def init_app(app: Flask) -> None:
    app.cli.add_command(load_prompts_command)
    app.cli.add_command(deliver_due_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(send_pushes_command)
    app.cli.add_command(send_mail_command)
    app.cli.add_command(demo_command)
