"""The weekly check-in: each partner rates the week, sealed until both have answered, then charted.

A check-in belongs to a week, named by its Monday in the couple's time zone.
It opens on the couple's chosen day and stays open until that week ends.
Like a prompt, a partner's check-in is sealed until both have answered:
the views built here carry the partner's values only for revealed weeks,
and the chart's series is built from revealed weeks alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from extensions import db
from models import CheckIn, Couple, Membership, User, utcnow
from services.checkins import charts
from services.common.errors import Conflict, Invalid, NotFound
from services.conversation import reading
from services.conversation.conversation import check_text
from services.couples import versions
from services.delivery.clock import WEEKDAY_NAMES, zone

SCALE_MIN, SCALE_MAX = 1, 10
FEELING_MAX = 40
TEXT_MAX = 500
CHART_WEEKS = 12
FIELDS = ("connection", "safety", "feeling", "appreciation", "need")
# Letters (any script, with their accents), and spaces, hyphens and apostrophes between them.
_FEELING_JOINERS = frozenset(" -'\u2019")
_SPACES = re.compile(r"\s+")


# Weeks -------------------------------------------------------------------------


def week_of(couple: Couple, moment: datetime) -> date:
    """The Monday, in the couple's time zone, of the week moment falls in."""
    local = moment.astimezone(zone(couple.timezone)).date()
    return local - timedelta(days=local.weekday())


def current_week(couple: Couple, now: datetime | None = None) -> date:
    """This week's Monday for the couple (or the last week they had, once the couple has ended)."""
    return week_of(couple, _clock(couple, now))


def opens_on(couple: Couple, week: date) -> date:
    """The local day a week's check-in opens: the couple's check-in day of that week."""
    return week + timedelta(days=couple.checkin_day)


def is_open(couple: Couple, now: datetime | None = None) -> bool:
    """Whether this week's check-in is open: from the check-in day until Sunday ends, local time."""
    now = now or utcnow()
    local = now.astimezone(zone(couple.timezone)).date()
    return local >= opens_on(couple, week_of(couple, now))


def next_opening(couple: Couple, now: datetime | None = None) -> date:
    """The local day the next check-in opens (today's date while one is open)."""
    now = now or utcnow()
    local = now.astimezone(zone(couple.timezone)).date()
    day = opens_on(couple, week_of(couple, now))
    return day if day >= local else day + timedelta(days=7)


def weekday_name(day: date) -> str:
    """The day's name, as the page says when a check-in opens ("Sunday")."""
    return WEEKDAY_NAMES[day.weekday()]


def _clock(couple: Couple, now: datetime | None) -> datetime:
    now = now or utcnow()
    if couple.ended_at is not None and couple.ended_at < now:
        return couple.ended_at
    return now


# What one partner may see -------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One partner's check-in as plain values (no ORM state reaches a template)."""

    user_id: int
    connection: int
    safety: int
    feeling: str
    appreciation: str
    need: str

    @classmethod
    def of(cls, row: CheckIn) -> Entry:
        return cls(row.user_id, row.connection, row.safety, row.feeling, row.appreciation, row.need)


@dataclass(frozen=True)
class WeekView:
    """A week's check-ins as one partner may see them: the partner's only once both have answered."""

    week: date
    mine: Entry | None
    partner: Entry | None  # None until both have answered, whatever the database holds
    partner_answered: bool
    revealed: bool


def _seal(user: User, week: date, rows: list[CheckIn]) -> WeekView:
    mine = next((r for r in rows if r.user_id == user.id), None)
    theirs = next((r for r in rows if r.user_id != user.id), None)
    revealed = mine is not None and theirs is not None
    return WeekView(
        week=week,
        mine=Entry.of(mine) if mine else None,
        partner=Entry.of(theirs) if revealed else None,
        partner_answered=theirs is not None,
        revealed=revealed,
    )


def _ensure_member(user: User, couple: Couple) -> None:
    """NotFound unless user is, or was, one of the couple."""
    member = db.session.scalar(
        sa.select(Membership.id).where(Membership.couple_id == couple.id, Membership.user_id == user.id).limit(1)
    )
    if member is None:
        raise NotFound("We couldn't find that couple.")


def view(user: User, couple: Couple, week: date) -> WeekView:
    """One week's check-ins for user: always their own, the partner's only once both have answered."""
    _ensure_member(user, couple)
    rows = list(db.session.scalars(sa.select(CheckIn).where(CheckIn.couple_id == couple.id, CheckIn.week == week)))
    return _seal(user, week, rows)


def _window(couple: Couple, weeks: int, now: datetime | None) -> list[date]:
    last = current_week(couple, now)
    return [last - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


def _revealed_weeks(couple_id: int, first: date, last: date):
    """The weeks in first..last that both partners answered (the only weeks anyone may read)."""
    return (
        sa.select(CheckIn.week)
        .where(CheckIn.couple_id == couple_id, CheckIn.week.between(first, last))
        .group_by(CheckIn.week)
        .having(sa.func.count(sa.distinct(CheckIn.user_id)) == 2)
    )


def revealed(user: User, couple: Couple, weeks: int = CHART_WEEKS, now: datetime | None = None) -> list[WeekView]:
    """The revealed weeks among the last `weeks`, newest first, both partners' answers side by side."""
    _ensure_member(user, couple)
    window = _window(couple, weeks, now)
    rows = db.session.scalars(
        sa.select(CheckIn)
        .where(CheckIn.couple_id == couple.id, CheckIn.week.in_(_revealed_weeks(couple.id, window[0], window[-1])))
        .order_by(CheckIn.week.desc(), CheckIn.id)
    )
    by_week: dict[date, list[CheckIn]] = {}
    for row in rows:
        by_week.setdefault(row.week, []).append(row)
    return [_seal(user, week, week_rows) for week, week_rows in by_week.items()]


@dataclass(frozen=True)
class WeekPoint:
    """The couple's averages for one week; None for a week that isn't revealed (a gap, never a zero)."""

    week: date
    connection: float | None
    safety: float | None


def series(couple: Couple, weeks: int = CHART_WEEKS, now: datetime | None = None) -> list[WeekPoint]:
    """The last `weeks` weeks, oldest first, with the couple's average scores for each revealed week.

    A week only one partner answered is still sealed, so it is a gap like a
    week with no check-in at all. Works for an ended couple too (the weeks
    then run up to the week it ended).
    """
    window = _window(couple, weeks, now)
    averages = {
        row.week: row
        for row in db.session.execute(
            sa.select(
                CheckIn.week,
                sa.func.avg(CheckIn.connection).label("connection"),
                sa.func.avg(CheckIn.safety).label("safety"),
            )
            .where(CheckIn.couple_id == couple.id, CheckIn.week.in_(_revealed_weeks(couple.id, window[0], window[-1])))
            .group_by(CheckIn.week)
        )
    }
    points = []
    for week in window:
        row = averages.get(week)
        points.append(WeekPoint(week, float(row.connection), float(row.safety)) if row else WeekPoint(week, None, None))
    return points


def chart(couple: Couple, weeks: int = CHART_WEEKS, now: datetime | None = None) -> charts.Chart:
    """The couple's connection and safety over the last `weeks` weeks, ready for templates/_chart.html."""
    points = series(couple, weeks, now)
    return charts.line_chart(
        [
            charts.Series("Connection", "connection", [p.connection for p in points]),
            charts.Series("Safety", "safety", [p.safety for p in points]),
        ],
        [f"{p.week.day} {p.week:%b}" for p in points],
        row_labels=[f"Week of {p.week.day} {p.week:%b %Y}" for p in points],
        title=f"Connection and safety over the last {weeks} weeks",
        gap_label="no check-in",
    )


# Answering -----------------------------------------------------------------------


def check_scale(value, *, field: str, what: str) -> int:
    """A whole number from 1 to 10, from a form's string or an int."""
    if isinstance(value, str):
        value = value.strip()
        if not value:
            value = None
        elif value.isdecimal() and len(value) <= 2:
            value = int(value)
    if value is None:
        raise Invalid(f"Choose {what}, from 1 to 10.", field=field)
    if isinstance(value, bool) or not isinstance(value, int) or not SCALE_MIN <= value <= SCALE_MAX:
        raise Invalid(f"Choose a whole number from 1 to 10 for {what}.", field=field)
    return value


def check_feeling(text: str | None) -> str:
    """One feeling word (or a short phrase such as "let down"): letters, spaces, hyphens, apostrophes."""
    text = _SPACES.sub(" ", (text or "").strip())
    text = check_text(text, limit=FEELING_MAX, field="feeling", what="feeling word")
    if unicodedata.category(text[0])[0] != "L" or not all(
        unicodedata.category(ch)[0] in "LM" or ch in _FEELING_JOINERS for ch in text
    ):
        raise Invalid(
            "Use a word or two for the feeling: letters, spaces, hyphens and apostrophes only.", field="feeling"
        )
    return text


class CheckInInvalid(Invalid):
    """Every problem with a check-in at once (the first names the message and field), so a form shows them all."""

    def __init__(self, problems: list[Invalid]):
        super().__init__(problems[0].message, field=problems[0].field)
        self.problems = problems


def check_values(values: Mapping) -> dict:
    """The five answers, checked; CheckInInvalid listing each field that isn't right."""
    checks = {
        "connection": lambda v: check_scale(v, field="connection", what="how connected you felt"),
        "safety": lambda v: check_scale(v, field="safety", what="how safe you felt to be open"),
        "feeling": check_feeling,
        "appreciation": lambda v: check_text(v, limit=TEXT_MAX, field="appreciation", what="appreciation"),
        "need": lambda v: check_text(v, limit=TEXT_MAX, field="need", what="need"),
    }
    checked, problems = {}, []
    for name, check in checks.items():
        try:
            checked[name] = check(values.get(name))
        except Invalid as problem:
            problems.append(problem)
    if problems:
        raise CheckInInvalid(problems)
    return checked


@dataclass(frozen=True)
class Outcome:
    entry: Entry
    week: date
    revealed_now: bool


def submit(user: User, couple: Couple, values: Mapping, now: datetime | None = None) -> Outcome:
    """Save (or, until both have answered, change) user's check-in for this week.

    The couple's row is locked first, so two partners answering at the same
    moment are serialised: both are stored, and exactly one reveals the week.
    """
    checked = check_values(values)
    now = now or utcnow()
    locked = db.session.scalars(
        sa.select(Couple)
        .join(Membership, Membership.couple_id == Couple.id)
        .where(Couple.id == couple.id, Membership.user_id == user.id)
        .with_for_update(of=Couple)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if locked is None:
        raise NotFound("You're not in this couple.")
    # Leaving ends the couple for both, so an ended couple is the only way to have left one.
    if locked.ended_at is not None:
        raise Conflict("This couple has ended, so there are no more check-ins.")
    if reading.partner_in(user, locked.id) is None:
        raise Conflict("Check-ins start once your partner has joined.")
    if not is_open(locked, now):
        opening = next_opening(locked, now)
        raise Conflict(f"This week's check-in isn't open yet. It opens on {weekday_name(opening)}.")
    week = week_of(locked, now)
    rows = list(db.session.scalars(sa.select(CheckIn).where(CheckIn.couple_id == locked.id, CheckIn.week == week)))
    mine = next((r for r in rows if r.user_id == user.id), None)
    partner_answered = any(r.user_id != user.id for r in rows)
    if mine is not None and partner_answered:
        raise Conflict("You've both checked in this week, so your answers are shared and can't be changed.")
    first_check_in = mine is None
    if first_check_in:
        mine = CheckIn(couple_id=locked.id, week=week, user_id=user.id, **checked)
        db.session.add(mine)
    else:
        for name, value in checked.items():
            setattr(mine, name, value)
    db.session.flush()
    if first_check_in:
        versions.couple_changed(locked.id)
    else:
        # An edit while sealed changes nothing the partner may see, not even when it happened.
        versions.person_changed(user.id, locked.id)
    return Outcome(Entry.of(mine), week, revealed_now=partner_answered)


# The page -------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    """Everything the check-in page shows one partner, already sealed."""

    couple: Couple | None  # the current couple, or the last one (ended) if any; None if never paired
    partner: User | None
    active: bool  # paired now, with a partner: check-ins can be made
    is_open: bool
    opens_on: date | None  # the next opening day while closed
    this_week: WeekView | None
    earlier: list[WeekView]  # revealed weeks before this one, newest first
    chart: charts.Chart | None

    @property
    def partner_name(self) -> str:
        return self.partner.display_name if self.partner else "Your partner"


def _couple_for(user: User) -> Couple | None:
    """The user's couple now, or the most recent one they were in (its history stays readable)."""
    membership = user.active_membership
    if membership is not None:
        return membership.couple
    return db.session.scalar(
        sa.select(Couple)
        .join(Membership, Membership.couple_id == Couple.id)
        .where(Membership.user_id == user.id)
        .order_by(Membership.joined_at.desc(), Membership.id.desc())
        .limit(1)
    )


def overview(user: User, now: datetime | None = None) -> Overview:
    """The check-in page for user: this week's state, earlier revealed weeks, and the chart."""
    now = now or utcnow()
    couple = _couple_for(user)
    if couple is None:
        return Overview(None, None, False, False, None, None, [], None)
    partner = reading.partner_in(user, couple.id)
    active = couple.is_active and partner is not None
    weeks = revealed(user, couple, CHART_WEEKS, now)
    if not active:
        return Overview(
            couple, partner, False, False, None, None, weeks, chart(couple, CHART_WEEKS, now) if weeks else None
        )
    week = current_week(couple, now)
    this_week = view(user, couple, week)
    open_now = is_open(couple, now)
    return Overview(
        couple=couple,
        partner=partner,
        active=True,
        is_open=open_now,
        opens_on=None if open_now else next_opening(couple, now),
        this_week=this_week,
        earlier=[w for w in weeks if w.week != week],
        chart=chart(couple, CHART_WEEKS, now) if weeks else None,
    )
