"""The prompt library file and its idempotent loading."""

from __future__ import annotations

import itertools
import re
import shutil
import tomllib
from pathlib import Path

import pytest
import sqlalchemy as sa

from extensions import db
from models import Prompt, PromptInstance
from services import library

LIBRARY = Path(__file__).resolve().parent.parent / "data" / "prompt_library.toml"


@pytest.fixture(scope="module")
def data():
    with open(LIBRARY, "rb") as handle:
        return tomllib.load(handle)


def test_schema_and_size(data):
    library.read_library(LIBRARY)
    assert len(data["prompts"]) >= 150
    assert len(data["themes"]) >= 8
    for prompt in data["prompts"]:
        assert set(prompt) <= {"id", "theme", "depth", "text", "follow_up"}
        assert prompt["depth"] in (1, 2, 3)
        assert 0 < len(prompt["text"]) <= 220
        assert prompt["id"].startswith(prompt["theme"] + "-")


def test_unique_ids_and_texts(data):
    ids = [p["id"] for p in data["prompts"]]
    assert len(ids) == len(set(ids))
    texts = [p["text"].strip().lower() for p in data["prompts"]]
    assert len(texts) == len(set(texts))


def test_every_theme_and_depth_has_prompts(data):
    themes = [t["id"] for t in data["themes"]]
    covered = {(p["theme"], p["depth"]) for p in data["prompts"]}
    missing = [(t, d) for t, d in itertools.product(themes, (1, 2, 3)) if (t, d) not in covered]
    assert not missing


def test_every_theme_has_complete_listening_guidance(data):
    for theme in data["themes"]:
        for field in ("mirror", "validate", "empathise"):
            assert len(theme[field]) > 40, (theme["id"], field)
        avoid = " ".join(theme["avoid"]).lower()
        for word in ("defend", "fix", "rebut", "rush"):
            assert word in avoid, (theme["id"], word)
        assert theme["starters"] and all(s.endswith("\u2026") for s in theme["starters"])


def test_no_clinical_jargon(data):
    jargon = re.compile(r"\b(attachment|dysregulat\w*|EFT|trauma response|cognitive|patholog\w*)\b", re.I)
    texts = [p["text"] for p in data["prompts"]] + [
        t[k] for t in data["themes"] for k in ("mirror", "validate", "empathise")
    ]
    assert not [t for t in texts if jargon.search(t)]


def test_schema_errors_are_reported_together(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[themes]]\nid = "x"\nname = "X"\n'
        '[[prompts]]\nid = "p-1"\ntheme = "nope"\ndepth = 4\ntext = ""\n'
        '[[prompts]]\nid = "p-1"\ntheme = "x"\ndepth = 1\ntext = "ok"\n'
    )
    with pytest.raises(library.LibraryError) as error:
        library.read_library(bad)
    message = str(error.value)
    for expected in ("missing mirror", "unknown theme", "depth must be", "appears twice", "text must be"):
        assert expected in message


@pytest.fixture
def library_copy(tmp_path, app):
    """A copy of the library to edit; the real one is restored afterwards."""
    path = tmp_path / "library.toml"
    shutil.copy(LIBRARY, path)
    yield path
    with app.app_context():
        db.session.execute(sa.delete(PromptInstance))
        db.session.execute(
            sa.delete(Prompt).where(~Prompt.id.in_([p["id"] for p in tomllib.loads(LIBRARY.read_text())["prompts"]]))
        )
        library.load_library(LIBRARY)
        db.session.commit()


def test_loading_is_idempotent_and_follows_edits(app, library_copy, factory):
    with app.app_context():
        again = library.load_library(library_copy)
        db.session.commit()
        assert not again.changed and again.unchanged >= 150

    pair = factory.pair()
    with app.app_context():
        delivered = db.session.get(PromptInstance, pair.first_prompt_id)
        delivered_text, delivered_prompt = delivered.text, delivered.prompt_id

    text = library_copy.read_text()
    original_line = next(line for line in text.splitlines() if line.startswith("text = ") and delivered_text in line)
    text = text.replace(original_line, 'text = "An edited prompt, worded anew."', 1)
    library_copy.write_text(text)
    with app.app_context():
        report = library.load_library(library_copy)
        db.session.commit()
        assert report.updated == 1 and report.added == 0
        assert db.session.get(Prompt, delivered_prompt).text == "An edited prompt, worded anew."
        # What the couple already received keeps its words.
        assert db.session.get(PromptInstance, pair.first_prompt_id).text == delivered_text
        assert not library.load_library(library_copy).changed


def test_removed_prompts_are_retired_not_deleted(app, library_copy):
    data = tomllib.loads(library_copy.read_text())
    victim = data["prompts"][0]["id"]
    blocks = library_copy.read_text().split("[[prompts]]")
    kept = [b for b in blocks if f'id = "{victim}"' not in b]
    library_copy.write_text("[[prompts]]".join(kept))
    with app.app_context():
        report = library.load_library(library_copy)
        db.session.commit()
        assert report.retired == 1
        assert db.session.get(Prompt, victim).retired is True


def test_load_prompts_command(runner):
    result = runner.invoke(args=["load-prompts"])
    assert result.exit_code == 0
    assert "0 added" in result.output and "0 updated" in result.output
