"""The weekly check-in: each partner rates the week, sealed until both have answered, then charted.

A check-in belongs to a week, named by its Monday in the couple's time zone.
The couple's chosen day is when it is suggested; a person may check in on
any day of the week, for that week. Like a prompt, a partner's check-in is
sealed until both have answered: the views built here carry the partner's
values only for revealed weeks, and the shared chart is built from revealed
weeks alone.

Some of a check-in is never the partner's to see (PRODUCT.md invariant 7,
CARE.md "safety first, and for each person separately"): the safety score
and the CSI-4 stay with their person (the CSI-4 unless they share it). The
partner's view is built without them here, so no template or export can
show them by mistake. A consented therapist sees each partner's series
separately, within the progress scope.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from extensions import db
from models import CheckIn, Couple, Membership, TherapistLink, User, utcnow
from services.access import checkins as sealing
from services.access.checkins import CSI_ITEMS, Entry, WeekView
from services.checkins import charts
from services.common.errors import Conflict, Invalid, NotFound
from services.conversation import reading
from services.conversation.conversation import check_text
from services.couples import depth, versions
from services.delivery.clock import WEEKDAY_NAMES, zone

if TYPE_CHECKING:
    from services.access.therapist import TherapistAccess

SCALE_MIN, SCALE_MAX = 1, 10
FEELING_MAX = 40
TEXT_MAX = 500
CHART_WEEKS = 12
# Earlier weeks, side by side, a few a page: four fill a page of Over the weeks within its 14 KB budget.
EARLIER_PER_PAGE = 4
# Far beyond any couple's history (20 years of weeks); a larger page number is a 404, never a huge OFFSET.
EARLIER_MAX_PAGE = 260
FIELDS = ("connection", "safety", "feeling", "worry", "appreciation", "need")
# The CSI-4 (Funk & Rogge 2007, Couples Satisfaction Index): item 1 is scored 0-6, items 2-4 are 0-5.
CSI_FIELDS = (*CSI_ITEMS, "csi_shared")
CSI_MAX = {"csi_happiness": 6, "csi_warm": 5, "csi_rewarding": 5, "csi_satisfied": 5}
CSI_TOTAL_MAX = 21
# Funk & Rogge's cut-off: a total below 13.5 suggests notable relationship dissatisfaction.
CSI_CUTOFF = 13.5
# Every fourth week, counted from the week the couple was made.
CSI_EVERY = 4
CSI_CHART_POINTS = 12
LOW_SAFETY = 3
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
    """The couple's check-in day in that week (when it is suggested; any day of the week will do)."""
    return week + timedelta(days=couple.checkin_day)


def is_open(couple: Couple, now: datetime | None = None) -> bool:
    """Whether this week's check-in day has come (local time); a check-in is taken on any day regardless."""
    now = now or utcnow()
    local = now.astimezone(zone(couple.timezone)).date()
    return local >= opens_on(couple, week_of(couple, now))


def next_opening(couple: Couple, now: datetime | None = None) -> date:
    """The next check-in day, local (today's date from this week's day until Sunday ends)."""
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


# What one partner may see (sealed by services.access.checkins) ----------------------------


def view(user: User, couple: Couple, week: date) -> WeekView:
    """One week's check-ins for user: always their own, the partner's only once both have answered."""
    sealing.ensure_member(user, couple)
    rows = list(db.session.scalars(sa.select(CheckIn).where(CheckIn.couple_id == couple.id, CheckIn.week == week)))
    return sealing.seal_week(user, week, rows)


def _window(couple: Couple, weeks: int, now: datetime | None) -> list[date]:
    last = current_week(couple, now)
    return [last - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


def revealed(user: User, couple: Couple, weeks: int = CHART_WEEKS, now: datetime | None = None) -> list[WeekView]:
    """The revealed weeks among the last `weeks`, newest first, both partners' answers side by side."""
    sealing.ensure_member(user, couple)
    window = _window(couple, weeks, now)
    rows = db.session.scalars(
        sa.select(CheckIn)
        .where(
            CheckIn.couple_id == couple.id, CheckIn.week.in_(sealing.revealed_weeks(couple.id, window[0], window[-1]))
        )
        .order_by(CheckIn.week.desc(), CheckIn.id)
    )
    by_week: dict[date, list[CheckIn]] = {}
    for row in rows:
        by_week.setdefault(row.week, []).append(row)
    return [sealing.seal_week(user, week, week_rows) for week, week_rows in by_week.items()]


@dataclass(frozen=True)
class EarlierPage:
    """One page of the revealed weeks before this one, newest first."""

    weeks: list[WeekView]
    page: int
    has_next: bool


def earlier(user: User, page: int = 1, now: datetime | None = None) -> EarlierPage:
    """The revealed weeks before this week (up to the last one, once the couple has ended), a page at a time.

    Only weeks both partners answered are listed, sealed for user like any
    other view. NotFound for a page number below 1 or past the last page
    (page 1 of no weeks is an empty page).
    """
    couple = _couple_for(user)
    if not 1 <= page <= EARLIER_MAX_PAGE or (couple is None and page > 1):
        raise NotFound("There is no such page of earlier weeks.")
    if couple is None:
        return EarlierPage([], 1, False)
    sealing.ensure_member(user, couple)
    last = current_week(couple, now)
    if couple.is_active and reading.partner_in(user, couple.id) is not None:
        last -= timedelta(weeks=1)  # this week's own page shows this week
    shown = list(
        db.session.scalars(
            sealing.revealed_weeks(couple.id, date.min, last)
            .order_by(CheckIn.week.desc())
            .offset((page - 1) * EARLIER_PER_PAGE)
            .limit(EARLIER_PER_PAGE + 1)
        )
    )
    if not shown and page > 1:
        raise NotFound("There is no such page of earlier weeks.")
    has_next = len(shown) > EARLIER_PER_PAGE
    shown = shown[:EARLIER_PER_PAGE]
    by_week: dict[date, list[CheckIn]] = {week: [] for week in shown}
    for row in db.session.scalars(
        sa.select(CheckIn).where(CheckIn.couple_id == couple.id, CheckIn.week.in_(shown)).order_by(CheckIn.id)
    ):
        by_week[row.week].append(row)
    return EarlierPage([sealing.seal_week(user, week, rows) for week, rows in by_week.items()], page, has_next)


@dataclass(frozen=True)
class Person:
    """One partner of the couple, as a chart names them."""

    user_id: int
    name: str


def people(couple: Couple) -> list[Person]:
    """The couple's two partners, in seat order (so their lines keep their look from week to week)."""
    return [
        Person(user_id, name)
        for user_id, name in db.session.execute(
            sa.select(Membership.user_id, User.display_name)
            .join(User, User.id == Membership.user_id)
            .where(Membership.couple_id == couple.id)
            .order_by(Membership.seat)
        )
    ]


def _by_person(couple: Couple, window: list[date], columns: tuple[str, ...]) -> dict[tuple[int, date], tuple]:
    """(user, week) -> the named columns, for the revealed weeks of the window only."""
    rows = db.session.execute(
        sa.select(CheckIn.user_id, CheckIn.week, *(getattr(CheckIn, c) for c in columns)).where(
            CheckIn.couple_id == couple.id, CheckIn.week.in_(sealing.revealed_weeks(couple.id, window[0], window[-1]))
        )
    )
    return {(row[0], row[1]): tuple(row[2:]) for row in rows}


@dataclass(frozen=True)
class PersonSeries:
    """One partner's values, one per week of the window (None is a gap, never a zero)."""

    person: Person
    weeks: tuple[date, ...]
    connection: tuple[int | None, ...]
    safety: tuple[int | None, ...]


def per_person(couple: Couple, weeks: int = CHART_WEEKS, now: datetime | None = None) -> list[PersonSeries]:
    """Each partner's connection and safety over the last `weeks` weeks, revealed weeks only.

    For a consented therapist (progress scope): the safety score is never
    averaged or shown to the partner, and a gap stays a gap.
    """
    window = _window(couple, weeks, now)
    values = _by_person(couple, window, ("connection", "safety"))
    result = []
    for person in people(couple):
        cells = [values.get((person.user_id, week)) for week in window]
        result.append(
            PersonSeries(
                person,
                tuple(window),
                tuple(c[0] if c else None for c in cells),
                tuple(c[1] if c else None for c in cells),
            )
        )
    return result


def _week_labels(window: list[date]) -> dict:
    return {
        "labels": [f"{w.day} {w:%b}" for w in window],
        "row_labels": [f"Week of {w.day} {w:%b %Y}" for w in window],
    }


def couple_chart(user: User, couple: Couple, weeks: int = CHART_WEEKS, now: datetime | None = None) -> charts.Chart:
    """The couple's page: connection, one line per partner, for the weeks both checked in. No safety."""
    window = _window(couple, weeks, now)
    values = _by_person(couple, window, ("connection",))
    series = []
    for person in sorted(people(couple), key=lambda p: p.user_id != user.id):
        name = "You" if person.user_id == user.id else person.name
        cells = [values.get((person.user_id, week)) for week in window]
        series.append(charts.Series(name, f"person-{len(series) + 1}", [c[0] if c else None for c in cells]))
    return charts.line_chart(
        series,
        **_week_labels(window),
        title=f"Connection over the last {weeks} weeks",
        gap_label="no check-in",
    )


def therapist_chart(couple: Couple, weeks: int = CHART_WEEKS, now: datetime | None = None) -> charts.Chart:
    """For a consented therapist: each partner's connection and safety, separately, revealed weeks only."""
    window = _window(couple, weeks, now)
    series = []
    for one in per_person(couple, weeks, now):
        series.append(charts.Series(f"{one.person.name}: connection", f"person-{len(series) + 1}", one.connection))
        series.append(charts.Series(f"{one.person.name}: safety", f"person-{len(series) + 1}", one.safety))
    return charts.line_chart(
        series,
        **_week_labels(window),
        title=f"Each partner's connection and safety over the last {weeks} weeks",
        gap_label="not checked in by both",
    )


def for_therapist(access: TherapistAccess, weeks: int = CHART_WEEKS, now: datetime | None = None) -> list[PersonSeries]:
    """Each partner's own weekly series, for a therapist whom both partners allow at least progress."""
    access.require("progress")
    return per_person(db.session.get(Couple, access.couple_id), weeks, now)


def csi_per_person(access: TherapistAccess, now: datetime | None = None) -> list[dict]:
    """For a consented therapist (progress scope): each partner's CSI-4 totals, separately, gaps as None."""
    access.require("progress")
    couple = db.session.get(Couple, access.couple_id)
    return [
        {
            "partner": person.name,
            "csi4": [
                {"week": p.week.isoformat(), "total": p.total} for p in csi_series(person.user_id, couple, now=now)
            ],
        }
        for person in people(couple)
    ]


def chart(access: TherapistAccess, weeks: int = CHART_WEEKS, now: datetime | None = None) -> charts.Chart:
    """What a consented therapist's summary charts (progress scope): each partner's own lines (therapist_chart)."""
    access.require("progress")
    return therapist_chart(db.session.get(Couple, access.couple_id), weeks, now)


def own_chart(user: User, couple: Couple, weeks: int = CHART_WEEKS, now: datetime | None = None) -> charts.Chart | None:
    """My own safety score over the weeks, for me alone (every week I checked in, shared or not)."""
    window = _window(couple, weeks, now)
    mine = dict(
        db.session.execute(
            sa.select(CheckIn.week, CheckIn.safety).where(
                CheckIn.couple_id == couple.id, CheckIn.user_id == user.id, CheckIn.week.between(window[0], window[-1])
            )
        ).all()
    )
    if not mine:
        return None
    return charts.line_chart(
        [charts.Series("How safe you felt to be open", "person-1", [mine.get(w) for w in window])],
        **_week_labels(window),
        title=f"How safe you felt to be open, over the last {weeks} weeks",
        gap_label="no check-in",
    )


# The CSI-4 --------------------------------------------------------------------------


def csi_due(couple: Couple, week: date) -> bool:
    """Whether this week's check-in includes the CSI-4: every fourth week from the couple's first."""
    first = week_of(couple, couple.created_at)
    return ((week - first).days // 7) % CSI_EVERY == 0


def csi_score(values: Mapping) -> int:
    """The CSI-4 total as published: the sum of the four items (0-6, 0-5, 0-5, 0-5), so 0 to 21."""
    return sum(int(values[name]) for name in CSI_ITEMS)


@dataclass(frozen=True)
class CsiPoint:
    week: date
    total: int | None


def csi_series(user_id: int, couple: Couple, points: int = CSI_CHART_POINTS, now: datetime | None = None):
    """One person's CSI-4 totals over the last `points` CSI weeks, oldest first (None: not answered)."""
    last = current_week(couple, now)
    while not csi_due(couple, last):
        last -= timedelta(weeks=1)
    first_week = week_of(couple, couple.created_at)
    weeks = [w for w in (last - timedelta(weeks=CSI_EVERY * i) for i in range(points)) if w >= first_week][::-1]
    rows = {
        row.week: row
        for row in db.session.scalars(
            sa.select(CheckIn).where(
                CheckIn.couple_id == couple.id, CheckIn.user_id == user_id, CheckIn.week.in_(weeks)
            )
        )
    }
    return [CsiPoint(w, rows[w].csi_total if w in rows else None) for w in weeks]


def csi_chart(user_id: int, couple: Couple, *, name: str = "Your score", now: datetime | None = None):
    """One person's CSI-4 trend, for that person (or a consented therapist); None before any answer."""
    points = csi_series(user_id, couple, now=now)
    if all(p.total is None for p in points):
        return None
    window = [p.week for p in points]
    return charts.line_chart(
        [charts.Series(name, "person-1", [p.total for p in points])],
        **_week_labels(window),
        title="Relationship satisfaction (CSI-4), every fourth week",
        gap_label="not answered",
        low=0,
        high=CSI_TOTAL_MAX,
    )


# The low-safety note ------------------------------------------------------------------


def low_safety(user: User, couple: Couple, now: datetime | None = None) -> bool:
    """Whether my safety score was LOW_SAFETY or lower in each of the last two weeks I could check in.

    This week and last week, or last week and the one before while this week's
    is still to come. Only ever shown to me.
    """
    week = current_week(couple, now)
    scores = dict(
        db.session.execute(
            sa.select(CheckIn.week, CheckIn.safety).where(
                CheckIn.couple_id == couple.id,
                CheckIn.user_id == user.id,
                CheckIn.week.between(week - timedelta(weeks=2), week),
            )
        ).all()
    )

    def low(w: date) -> bool:
        return w in scores and scores[w] <= LOW_SAFETY

    last = week - timedelta(weeks=1)
    if week in scores:
        return low(week) and low(last)
    return low(last) and low(last - timedelta(weeks=1))


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


def check_worry(text: str | None) -> str | None:
    """The optional worry: None when left blank, otherwise checked like any text."""
    if text is None or not str(text).strip():
        return None
    return check_text(text, limit=TEXT_MAX, field="worry", what="worry")


def _csi_item(value, name: str) -> int | None:
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        if value.isdecimal() and len(value) == 1:
            value = int(value)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= CSI_MAX[name]:
        raise Invalid("Choose one of the answers for this question.", field=name)
    return value


def check_csi(values: Mapping) -> dict:
    """The CSI-4, all four items or none (it is always optional); whether the person shares it."""
    problems, items = [], {}
    for name in CSI_ITEMS:
        try:
            items[name] = _csi_item(values.get(name), name)
        except Invalid as problem:
            problems.append(problem)
    if problems:
        raise CheckInInvalid(problems)
    answered = [name for name, value in items.items() if value is not None]
    if not answered:
        return {**items, "csi_shared": False}
    if len(answered) < len(CSI_ITEMS):
        missing = next(name for name in CSI_ITEMS if items[name] is None)
        raise Invalid("Answer all four of these questions, or leave all four blank.", field=missing)
    return {**items, "csi_shared": bool(values.get("csi_shared"))}


def check_values(values: Mapping, *, with_csi: bool = False) -> dict:
    """The answers, checked; CheckInInvalid listing each field that isn't right.

    with_csi: this is a CSI-4 week, so the four optional items are read too.
    """
    checks = {
        "connection": lambda v: check_scale(v, field="connection", what="how connected you felt"),
        "safety": lambda v: check_scale(v, field="safety", what="how safe you felt to be open"),
        "feeling": check_feeling,
        "worry": check_worry,
        "appreciation": lambda v: check_text(v, limit=TEXT_MAX, field="appreciation", what="appreciation"),
        "need": lambda v: check_text(v, limit=TEXT_MAX, field="need", what="need"),
    }
    checked, problems = {}, []
    for name, check in checks.items():
        try:
            checked[name] = check(values.get(name))
        except Invalid as problem:
            problems.append(problem)
    if with_csi:
        try:
            checked.update(check_csi(values))
        except CheckInInvalid as invalid:
            problems.extend(invalid.problems)
        except Invalid as problem:
            problems.append(problem)
    if problems:
        raise CheckInInvalid(problems)
    return checked


@dataclass(frozen=True)
class CheckinOutcome:
    """What submitting a check-in did: my entry as stored, its week, and whether it revealed the week."""

    entry: Entry
    week: date
    revealed_now: bool


def submit(user: User, couple: Couple, values: Mapping, now: datetime | None = None) -> CheckinOutcome:
    """Save (or, until both have answered, change) user's check-in for this week, on any day of it.

    The couple's row is locked first, so two partners answering at the same
    moment are serialised: both are stored, and exactly one reveals the week.
    """
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
    # Any day of the week will do for that week's check-in; the chosen day is only when it's suggested.
    week = week_of(locked, now)
    checked = check_values(values, with_csi=csi_due(locked, week))
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
    if mine.safety is not None and mine.safety <= LOW_SAFETY:
        # My safety score is mine alone: easing my own ceiling for a few days, later, is what follows from it.
        depth.ease_after_hard_moment(user, now)
    if first_check_in:
        versions.couple_changed(locked.id)
    else:
        # An edit while sealed changes nothing the partner may see, not even when it happened.
        versions.person_changed(user.id, locked.id)
    return CheckinOutcome(Entry.of(mine), week, revealed_now=partner_answered)


# The page -------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    """Everything the check-in page shows one partner, already sealed (and without the partner's private parts)."""

    couple: Couple | None  # the current couple, or the last one (ended) if any; None if never paired
    partner: User | None
    active: bool  # paired now, with a partner: check-ins can be made
    is_checkin_day: bool  # the couple's chosen day has come this week (any day still works)
    checkin_day: str | None  # the chosen day's name, "Sunday"
    this_week: WeekView | None
    earlier: list[WeekView]  # revealed weeks before this one, newest first
    chart: charts.Chart | None  # connection, one line each, revealed weeks
    own_chart: charts.Chart | None = None  # my safety score: mine alone
    csi_due: bool = False
    csi_chart: charts.Chart | None = None  # my CSI-4: mine alone
    low_safety: bool = False  # my safety was low two weeks running: shown to me alone
    has_therapist: bool = False

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
    """The check-in page for user: this week's state, earlier revealed weeks, and the charts."""
    now = now or utcnow()
    couple = _couple_for(user)
    if couple is None:
        return Overview(None, None, False, False, None, None, [], None)
    partner = reading.partner_in(user, couple.id)
    active = couple.is_active and partner is not None
    weeks = revealed(user, couple, CHART_WEEKS, now)
    mine = {
        "own_chart": own_chart(user, couple, CHART_WEEKS, now),
        "csi_chart": csi_chart(user.id, couple, now=now),
        "low_safety": low_safety(user, couple, now),
        "has_therapist": _has_therapist(couple),
    }
    shared_chart = couple_chart(user, couple, CHART_WEEKS, now) if weeks else None
    if not active:
        return Overview(couple, partner, False, False, None, None, weeks, shared_chart, **mine)
    week = current_week(couple, now)
    return Overview(
        couple=couple,
        partner=partner,
        active=True,
        is_checkin_day=is_open(couple, now),
        checkin_day=WEEKDAY_NAMES[couple.checkin_day],
        this_week=view(user, couple, week),
        earlier=[w for w in weeks if w.week != week],
        chart=shared_chart,
        csi_due=csi_due(couple, week),
        **mine,
    )


def _has_therapist(couple: Couple) -> bool:
    """Whether the couple has a therapist linked (so the low-safety note can say how to reach them)."""
    return (
        db.session.scalar(
            sa.select(TherapistLink.id).where(TherapistLink.couple_id == couple.id, TherapistLink.ended_at.is_(None))
        )
        is not None
    )


def set_checkin_day(user: User, day) -> Couple:
    """Choose the couple's check-in day (0 is Monday); either partner may, and both see it."""
    membership = user.active_membership
    if membership is None:
        raise Conflict("Pair with your partner first.")
    if isinstance(day, str) and day.strip().isdecimal():
        day = int(day)
    if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
        raise Invalid("Choose a day of the week.", field="checkin_day")
    couple = membership.couple
    if couple.checkin_day != day:
        couple.checkin_day = day
        db.session.flush()
        versions.couple_changed(couple.id)
    return couple
