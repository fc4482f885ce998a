"""Journal routes. Every entry is fetched through services.access.journal: the author's own, an entry
shared with me, or one shared with a therapist; anyone else gets a 404."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.commit import committed
from blueprints.journal import bp
from blueprints.journal.forms import EntryForm, ReflectionForm, ResponseForm, SearchForm, TherapistShareForm
from blueprints.roles import partners_only
from services.access import journal as access
from services.journal import journal
from services.journal import repair as journal_repair
from services.therapist import links

# A partner's journal is their own; a therapist reaches only entries shared with one of their links.
partners_only(bp, therapist_views=("therapist_list", "therapist_entry"))


def _index(form: EntryForm | None = None, status: int = 200):
    search = SearchForm(request.args)
    listing = journal.mine(current_user, tag=search.tag.data or None, query=search.q.data)
    return render_template(
        "journal/index.html",
        form=form or EntryForm(),
        search=search,
        listing=listing,
        tag_words=journal.TAG_WORDS,
        shared_with_me=bool(access.all_shared_with_me(current_user)),
    ), status


@bp.get("/journal")
def index():
    """My journal: write an entry, and find earlier ones by tag or by their words."""
    return _index()


@bp.post("/journal")
def write():
    """Save a new entry, mine alone."""
    form = EntryForm()
    if form.validate_on_submit() and (
        done := committed(journal.write, current_user, form.body.data, form.tag.data, form.client_key.data, form=form)
    ):
        flash("Saved. Only you can see it.", "success")
        return redirect(url_for("journal.entry", entry_id=done.value.id))
    return _index(form, 422)


def _entry_page(entry, form: EntryForm | None = None, status: int = 200):
    therapists = [s for s in links.links_of_couple(current_user) if s.scope]
    return render_template(
        "journal/entry.html",
        entry=entry,
        form=form or EntryForm(body=entry.body, tag=entry.tag or ""),
        tag_words=journal.TAG_WORDS,
        therapists=therapists,
        therapist_form=TherapistShareForm(),
        response_form=ResponseForm(),
        paired=current_user.active_membership is not None,
        hurt_tags=journal_repair.HURT_TAGS,
        live_repair=journal_repair.live_conversation(current_user),
    ), status


@bp.get("/journal/<id:entry_id>")
def entry(entry_id: int):
    """One of my entries: read it, change it (until shared), share it, or delete it."""
    return _entry_page(access.own_entry(current_user, entry_id))


@bp.post("/journal/<id:entry_id>")
def edit(entry_id: int):
    """Change one of my entries (only until I share it)."""
    entry = access.own_entry(current_user, entry_id)
    form = EntryForm()
    if form.validate_on_submit() and committed(
        journal.edit, current_user, entry_id, form.body.data, form.tag.data, form=form
    ):
        flash("Saved.", "success")
        return redirect(url_for("journal.entry", entry_id=entry_id))
    return _entry_page(access.own_entry(current_user, entry.id), form, 422)


@bp.post("/journal/<id:entry_id>/delete")
def delete(entry_id: int):
    """Delete one of my entries for good."""
    access.own_entry(current_user, entry_id)  # anyone else: 404, never a refusal that confirms it exists
    if committed(journal.delete, current_user, entry_id):
        flash("Deleted. It's gone for good.", "success")
    return redirect(url_for("journal.index"))


@bp.post("/journal/<id:entry_id>/share")
def share(entry_id: int):
    """Share this one entry with my partner."""
    access.own_entry(current_user, entry_id)  # anyone else: 404, never a refusal that confirms it exists
    if committed(journal.share_with_partner, current_user, entry_id):
        flash("Shared with your partner. Only this entry: the rest of your journal stays yours.", "success")
    return redirect(url_for("journal.entry", entry_id=entry_id))


@bp.post("/journal/<id:entry_id>/repair")
def start_repair(entry_id: int):
    """Ask for a repair conversation in which I share, with this entry as the draft of my first step."""
    access.own_entry(current_user, entry_id)  # anyone else: 404, never a refusal that confirms it exists
    live = journal_repair.live_conversation(current_user)
    if live is not None:
        # At most one at a time: say so kindly, and take them to the one there is.
        flash(journal_repair.ALREADY, "info")
        return redirect(url_for("repair.show", conversation_id=live.id))
    if done := committed(journal_repair.start_repair, current_user, entry_id):
        # The page it leads to says who knows what; this says only what just happened.
        flash("Asked. Your entry waits as the draft of your first step.", "success")
        return redirect(url_for("repair.show", conversation_id=done.value.id))
    return redirect(url_for("journal.entry", entry_id=entry_id))


@bp.post("/journal/<id:entry_id>/share-therapist")
def share_therapist(entry_id: int):
    """Share this one entry with a therapist linked to us (a separate choice from sharing with my partner)."""
    access.own_entry(current_user, entry_id)  # anyone else: 404, never a refusal that confirms it exists
    form = TherapistShareForm()
    if form.validate_on_submit() and form.link_id.data:
        if committed(journal.share_with_therapist, current_user, entry_id, form.link_id.data):
            flash("Shared with your therapist. Each time they read it, it shows in Settings.", "success")
    else:
        flash("Choose a therapist to share it with.", "error")
    return redirect(url_for("journal.entry", entry_id=entry_id))


@bp.post("/journal/<id:entry_id>/unshare-therapist")
def unshare_therapist(entry_id: int):
    """Take this entry back from the therapist."""
    access.own_entry(current_user, entry_id)  # anyone else: 404, never a refusal that confirms it exists
    if committed(journal.stop_sharing_with_therapist, current_user, entry_id):
        flash("Your therapist can no longer see this entry.", "success")
    return redirect(url_for("journal.entry", entry_id=entry_id))


@bp.get("/journal/shared")
def shared_list():
    """The entries my partner chose to share with me."""
    return render_template(
        "journal/shared_list.html", entries=access.all_shared_with_me(current_user), tag_words=journal.TAG_WORDS
    )


@bp.get("/journal/shared/<id:entry_id>")
def shared(entry_id: int, form: ReflectionForm | None = None, status: int = 200):
    """One entry my partner shared with me, with how to listen to it and a place to say what I heard."""
    entry = access.shared_with_me(current_user, entry_id)
    return render_template(
        "journal/shared.html", entry=entry, form=form or ReflectionForm(), tag_words=journal.TAG_WORDS
    ), status


@bp.post("/journal/shared/<id:entry_id>/reflect")
def reflect(entry_id: int):
    """Say back what I heard in my partner's entry."""
    access.shared_with_me(current_user, entry_id)
    form = ReflectionForm()
    if form.validate_on_submit() and committed(journal.reflect, current_user, entry_id, form.body.data, form=form):
        flash("Sent. They'll see what you heard.", "success")
        return redirect(url_for("journal.shared", entry_id=entry_id))
    return shared(entry_id, form, 422)


@bp.post("/journal/<id:entry_id>/respond")
def respond(entry_id: int):
    """Answer my partner's reflection on my entry: I feel heard, or partly, with what I'd add."""
    access.own_entry(current_user, entry_id)
    form = ResponseForm()
    if form.validate_on_submit() and committed(
        journal.respond, current_user, entry_id, form.response.data, form.addition.data
    ):
        flash("Thank you. Your partner will see it.", "success")
    return redirect(url_for("journal.entry", entry_id=entry_id))


@bp.get("/journal/therapist/<id:link_id>")
def therapist_list(link_id: int):
    """For a therapist: the entries a partner shared with this link (their words open one at a time, logged)."""
    return render_template(
        "journal/therapist_list.html", access=g.access, entries=access.shared_with_therapist(g.access)
    )


@bp.get("/journal/therapist/<id:link_id>/<id:entry_id>")
def therapist_entry(link_id: int, entry_id: int):
    """For a therapist: one shared entry; the read is written to the couple's access log."""
    entry = access.therapist_entry(g.access, entry_id)
    committed(links.log_read, g.access, "journal", journal_entry_id=entry.id)
    return render_template("journal/therapist_entry.html", access=g.access, entry=entry, tag_words=journal.TAG_WORDS)
