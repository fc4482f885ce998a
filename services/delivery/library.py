"""Loading the prompt library from data/prompt_library.toml into the database.

Loading is idempotent: running it twice changes nothing, edits to the file
update the rows, and prompts dropped from the file are retired rather than
deleted. Delivered prompts keep their own copy of the text, so an edit here
never rewrites what a couple already answered.

The file also names, in a top-level `retired` list, the ids of prompts taken
out of the library for good: those ids are reserved forever, a file that uses
one again as a prompt id is refused, and their rows are marked retired. Each
theme carries the stage of the work it belongs to (`stage`, 1 to 3: steadiness,
deepening, repair), stored on the theme: delivery follows the path by it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from extensions import db
from models import Prompt, Theme

# The theme fields stored on each Theme row (and its stage, checked below).
THEME_FIELDS = ("name", "description", "mirror", "validate", "empathise", "avoid", "starters")
# The stages of the work a theme may belong to: 1 steadiness, 2 deepening, 3 repair and consolidation.
STAGES = (1, 2, 3)
PROMPT_FIELDS = ("theme", "depth", "text")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,38}$")
MAX_PROMPT_LENGTH = 220


class LibraryError(ValueError):
    """The library file breaks its schema; the message lists every problem found."""


@dataclass
class LoadReport:
    added: int = 0
    updated: int = 0
    retired: int = 0
    unchanged: int = 0
    themes_changed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.retired or self.themes_changed)


def read_library(path: str | Path) -> dict:
    """Parse and validate the library file; raises LibraryError listing every problem."""
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    problems: list[str] = []
    themes = data.get("themes") or []
    prompts = data.get("prompts") or []
    theme_ids: set[str] = set()
    for theme in themes:
        tid = theme.get("id", "")
        if not ID_PATTERN.match(str(tid)):
            problems.append(f"theme id {tid!r} must be a lowercase slug")
        if tid in theme_ids:
            problems.append(f"theme id {tid!r} appears twice")
        theme_ids.add(tid)
        for name in THEME_FIELDS:
            if not theme.get(name):
                problems.append(f"theme {tid!r} is missing {name}")
        if not isinstance(theme.get("avoid", []), list) or not isinstance(theme.get("starters", []), list):
            problems.append(f"theme {tid!r}: avoid and starters must be lists")
        stage = theme.get("stage")
        if stage is None:
            problems.append(f"theme {tid!r} is missing stage")
        elif type(stage) is not int or stage not in STAGES:
            problems.append(f"theme {tid!r} stage must be 1, 2 or 3")
    retired = data.get("retired", [])
    retired_ids: set[str] = set()
    if not isinstance(retired, list):
        problems.append("retired must be a list of prompt ids")
        retired = []
    for rid in retired:
        if not isinstance(rid, str) or not ID_PATTERN.match(rid):
            problems.append(f"retired id {rid!r} must be a lowercase slug")
            continue
        if rid in retired_ids:
            problems.append(f"retired id {rid!r} appears twice")
        retired_ids.add(rid)
    prompt_ids: set[str] = set()
    for prompt in prompts:
        pid = prompt.get("id", "")
        if not ID_PATTERN.match(str(pid)):
            problems.append(f"prompt id {pid!r} must be a lowercase slug")
        if pid in prompt_ids:
            problems.append(f"prompt id {pid!r} appears twice")
        if pid in retired_ids:
            problems.append(f"prompt id {pid!r} is retired and reserved; give the prompt the next unused number")
        prompt_ids.add(pid)
        for name in PROMPT_FIELDS:
            if name not in prompt:
                problems.append(f"prompt {pid!r} is missing {name}")
        if prompt.get("theme") not in theme_ids:
            problems.append(f"prompt {pid!r} names unknown theme {prompt.get('theme')!r}")
        if prompt.get("depth") not in (1, 2, 3):
            problems.append(f"prompt {pid!r} depth must be 1, 2 or 3")
        text = str(prompt.get("text", "")).strip()
        if not text or len(text) > MAX_PROMPT_LENGTH:
            problems.append(f"prompt {pid!r} text must be 1 to {MAX_PROMPT_LENGTH} characters")
    if problems:
        raise LibraryError("; ".join(problems))
    stages = {stage: [t["id"] for t in themes if t["stage"] == stage] for stage in STAGES}
    return {"themes": themes, "prompts": prompts, "retired": list(retired), "stages": stages}


def load_library(path: str | Path) -> LoadReport:
    """Bring the database in line with the library file (the caller commits)."""
    data = read_library(path)
    report = LoadReport()

    existing_themes = {t.id: t for t in db.session.scalars(sa.select(Theme))}
    for position, entry in enumerate(data["themes"]):
        values = {name: entry[name] for name in THEME_FIELDS} | {"position": position, "stage": entry["stage"]}
        theme = existing_themes.get(entry["id"])
        if theme is None:
            db.session.add(Theme(id=entry["id"], **values))
            report.themes_changed += 1
        elif any(getattr(theme, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(theme, key, value)
            report.themes_changed += 1
    db.session.flush()

    existing = {p.id: p for p in db.session.scalars(sa.select(Prompt))}
    next_seq = max((p.seq for p in existing.values()), default=-1) + 1
    seen: set[str] = set()
    for entry in data["prompts"]:
        seen.add(entry["id"])
        values = {
            "theme_id": entry["theme"],
            "depth": entry["depth"],
            "text": entry["text"].strip(),
            "follow_up": (entry.get("follow_up") or "").strip() or None,
            "retired": False,
        }
        prompt = existing.get(entry["id"])
        if prompt is None:
            db.session.add(Prompt(id=entry["id"], seq=next_seq, **values))
            next_seq += 1
            report.added += 1
        elif any(getattr(prompt, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(prompt, key, value)
            report.updated += 1
        else:
            report.unchanged += 1
    # Prompts dropped from the file, and those whose ids the file lists as retired, stay as
    # retired rows (delivery never picks them) for the instances that point at them.
    retired_ids = set(data["retired"])
    for prompt_id, prompt in existing.items():
        if (prompt_id not in seen or prompt_id in retired_ids) and not prompt.retired:
            prompt.retired = True
            report.retired += 1
    db.session.flush()
    return report


def stage_themes() -> dict[int, list[Theme]]:
    """The themes of each stage of the path, in the library's order."""
    stages: dict[int, list[Theme]] = {stage: [] for stage in STAGES}
    for theme in db.session.scalars(sa.select(Theme).order_by(Theme.position)):
        stages[theme.stage].append(theme)
    return stages
