"""The prompt library file and its idempotent loading."""

from __future__ import annotations

import itertools
import re
import shutil
import tomllib

import pytest
import sqlalchemy as sa

from config import PROMPT_LIBRARY
from extensions import db
from models import Prompt, PromptInstance
from services.delivery import delivery, library


@pytest.fixture(scope="module")
def data():
    with open(PROMPT_LIBRARY, "rb") as handle:
        return tomllib.load(handle)


def test_schema_and_size(data):
    library.read_library(PROMPT_LIBRARY)
    assert len(data["prompts"]) >= 400
    assert len(data["themes"]) >= 12
    assert set(data) == {"retired", "themes", "prompts"}
    for theme in data["themes"]:
        assert set(theme) == {"id", "stage", *library.THEME_FIELDS}, theme["id"]
    for prompt in data["prompts"]:
        assert set(prompt) <= {"id", "theme", "depth", "text", "follow_up"}
        assert prompt["depth"] in (1, 2, 3)
        assert 0 < len(prompt["text"]) <= 220
        assert re.fullmatch(re.escape(prompt["theme"]) + r"-\d{3}", prompt["id"]), prompt["id"]


def test_unique_ids_and_texts(data):
    ids = [p["id"] for p in data["prompts"]]
    assert len(ids) == len(set(ids))
    texts = [p["text"].strip().lower() for p in data["prompts"]]
    assert len(texts) == len(set(texts))


def test_retired_ids_are_reserved(data):
    retired = data["retired"]
    assert len(retired) == len(set(retired)) >= 10
    ids = {p["id"] for p in data["prompts"]}
    assert not ids & set(retired)
    theme_ids = {t["id"] for t in data["themes"]}
    for rid in retired:
        assert rid.rsplit("-", 1)[0] in theme_ids, rid
    # New prompts take the next unused number: a retired number is never handed out again.
    for theme in theme_ids:
        numbers = sorted(int(i.rsplit("-", 1)[1]) for i in ids | set(retired) if i.rsplit("-", 1)[0] == theme)
        assert numbers == list(range(1, len(numbers) + 1)), theme


def test_every_theme_and_depth_has_at_least_twelve_prompts(data):
    themes = [t["id"] for t in data["themes"]]
    counts = {(t, d): 0 for t, d in itertools.product(themes, (1, 2, 3))}
    for prompt in data["prompts"]:
        counts[(prompt["theme"], prompt["depth"])] += 1
    assert {cell: n for cell, n in counts.items() if n < 12} == {}


def test_every_stage_has_at_least_two_themes(data):
    stages = library.read_library(PROMPT_LIBRARY)["stages"]
    assert set(stages) == {1, 2, 3}
    assert all(len(themes) >= 2 for themes in stages.values()), stages
    assert {t["stage"] for t in data["themes"]} == {1, 2, 3}
    # The path CARE.md describes, and the new themes placed on it.
    where = {t["id"]: t["stage"] for t in data["themes"]}
    for theme, stage in {
        "steadiness": 1,
        "appreciation": 1,
        "emotional-language": 1,
        "our-cycle": 1,
        "vulnerability": 2,
        "needs-and-fears": 2,
        "triggers": 2,
        "hurt-and-hurting": 2,
        "accountability": 3,
        "intention-impact": 3,
        "reliability": 3,
        "transparency": 3,
        "new-story": 3,
    }.items():
        assert where[theme] == stage, theme


# What each theme's "avoid" list must warn against, and words that count as saying so.
AVOID = {
    "defending": ("defend",),
    "fixing": ("fix",),
    "rebutting": ("rebut",),
    "rushing": ("rush",),
    "cross-examining": ("cross-examin", "more detail"),
    "turning to your own hurt": ("me too", "your own hurt"),
    "labelling": ("label",),
    "sarcasm": ("sarcas",),
}


def test_every_theme_has_complete_listening_guidance(data):
    for theme in data["themes"]:
        tid = theme["id"]
        for field in ("name", "description", "mirror", "validate", "empathise"):
            assert len(theme[field]) > 40 or field == "name", (tid, field)
        avoid = " ".join(theme["avoid"]).lower()
        for what, words in AVOID.items():
            assert any(word in avoid for word in words), (tid, what)
        # Empathy is a tentative guess that is checked, never a verdict.
        empathise = theme["empathise"].lower()
        assert "i wonder" in empathise and ("right" in empathise or "close" in empathise), tid
        # The partner who was hurt gets a word for when they are the one listening.
        guidance = (theme["validate"] + " " + avoid).lower()
        assert "forgiv" in guidance and "convinc" in guidance, tid
        assert theme["starters"] and all(s.endswith("\u2026") for s in theme["starters"]), tid
        assert any(s.startswith("I wonder") for s in theme["starters"]), tid


def test_starters_reflect_the_speaker_not_the_listener(data):
    # A reflection is about the one who spoke; the listener's intention waits its turn.
    leading = re.compile(
        r"\b(I didn't mean|I didn't intend|it wasn't meant|even though I|I didn't see it that way)", re.I
    )
    starters = [s for t in data["themes"] for s in t["starters"]]
    assert not [s for s in starters if leading.search(s)]


def test_no_near_duplicate_openings(data):
    seen: dict[tuple[str, ...], str] = {}
    clashes = []
    for prompt in data["prompts"]:
        opening = tuple(re.findall(r"[a-z0-9']+", prompt["text"].lower())[:6])
        if opening in seen:
            clashes.append((seen[opening], prompt["id"]))
        seen.setdefault(opening, prompt["id"])
    assert not clashes


def test_prompts_are_safe_to_reveal_and_presume_nothing(data):
    """A light guard; the real check is reading each prompt. Nothing here may appear in any prompt."""
    unsafe = re.compile(
        r"hurt (you|me) (the )?most|would hurt you|(afraid|scared|frightened) of (your partner|them|him|her)"
        r"|who (do )?you fear|deepest fear|weak (spot|point)s?|worst thing (that )?(could|would)"
        r"|(your|their|the) (betrayal|affair|cheating|lies)|you (cheated|lied|betrayed)|your fault"
        r"|you always|you never|forgive (them|your partner|me)|now that (things|trust|we)"
        r"|how far you've come|password|location|check (your|their|his|her) phone",
        re.I,
    )
    hits = [p["id"] for p in data["prompts"] if unsafe.search(p["text"]) or unsafe.search(p.get("follow_up") or "")]
    assert not hits


def test_hard_topics_have_no_exclamation_marks(data):
    stage = {t["id"]: t["stage"] for t in data["themes"]}
    hard = [p for p in data["prompts"] if p["depth"] > 1 or stage[p["theme"]] > 1]
    assert not [p["id"] for p in hard if "!" in p["text"] + (p.get("follow_up") or "")]
    guidance = [t[k] for t in data["themes"] for k in ("mirror", "validate", "empathise")]
    assert not [g for g in guidance if "!" in g]


def test_mended_prompts_keep_their_ids_and_lose_their_faults(data):
    text = {p["id"]: p["text"] for p in data["prompts"]}
    assert "didn't intend" not in text["intention-impact-015"]
    assert "left, being replaceable, or not mattering" not in text["needs-and-fears-013"]
    assert "went badly" not in text["vulnerability-016"]
    assert "fear" not in text["vulnerability-013"].lower()
    assert "unseen" not in text["appreciation-006"] and "hoped they'd notice" not in text["appreciation-006"]
    assert "don't reach for your partner, or don't" not in text["our-cycle-013"]
    assert "has started to" not in text["accountability-012"]
    assert "what you usually mean" not in text["intention-impact-012"]
    assert "wish your partner understood" not in text["triggers-015"]


def test_no_clinical_jargon(data):
    jargon = re.compile(r"\b(attachment|dysregulat\w*|EFT|trauma response|cognitive|patholog\w*)\b", re.I)
    texts = [p["text"] for p in data["prompts"]] + [
        t[k] for t in data["themes"] for k in ("mirror", "validate", "empathise")
    ]
    assert not [t for t in texts if jargon.search(t)]


def test_schema_errors_are_reported_together(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'retired = ["p-2", "p-2", "Not A Slug"]\n'
        '[[themes]]\nid = "x"\nname = "X"\n'
        '[[themes]]\nid = "y"\nname = "Y"\nstage = 4\n'
        '[[themes]]\nid = "z"\nname = "Z"\nstage = true\n'
        '[[prompts]]\nid = "p-1"\ntheme = "nope"\ndepth = 4\ntext = ""\n'
        '[[prompts]]\nid = "p-1"\ntheme = "x"\ndepth = 1\ntext = "ok"\n'
        '[[prompts]]\nid = "p-2"\ntheme = "x"\ndepth = 1\ntext = "a retired id used again"\n'
    )
    with pytest.raises(library.LibraryError) as error:
        library.read_library(bad)
    message = str(error.value)
    for expected in (
        "missing mirror",
        "unknown theme",
        "depth must be",
        "appears twice",
        "text must be",
        "theme 'x' is missing stage",
        "theme 'y' stage must be 1, 2 or 3",
        "theme 'z' stage must be 1, 2 or 3",
        "retired id 'p-2' appears twice",
        "retired id 'Not A Slug' must be a lowercase slug",
        "prompt id 'p-2' is retired",
    ):
        assert expected in message


def test_a_retired_id_reused_in_the_real_library_is_refused(tmp_path):
    data = tomllib.loads(PROMPT_LIBRARY.read_text())
    reused = data["retired"][0]
    text = PROMPT_LIBRARY.read_text().replace('"' + data["prompts"][0]["id"] + '"', '"' + reused + '"', 1)
    copy = tmp_path / "library.toml"
    copy.write_text(text)
    with pytest.raises(library.LibraryError, match=f"prompt id '{reused}' is retired"):
        library.read_library(copy)


@pytest.fixture
def library_copy(tmp_path, app):
    """A copy of the library to edit; the real one is restored afterwards."""
    path = tmp_path / "library.toml"
    shutil.copy(PROMPT_LIBRARY, path)
    yield path
    with app.app_context():
        db.session.execute(sa.delete(PromptInstance))
        db.session.execute(
            sa.delete(Prompt).where(
                ~Prompt.id.in_([p["id"] for p in tomllib.loads(PROMPT_LIBRARY.read_text())["prompts"]])
            )
        )
        library.load_library(PROMPT_LIBRARY)
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


def test_retired_ids_are_marked_retired_and_never_delivered(app, library_copy):
    """A database that once held the retired prompts has them marked retired after loading."""
    retired = tomllib.loads(PROMPT_LIBRARY.read_text())["retired"]
    with app.app_context():
        # The loaded database never holds a live prompt under a retired id.
        live = db.session.scalars(sa.select(Prompt.id).where(Prompt.retired.is_(False))).all()
        assert not set(live) & set(retired)
        # An older database: the retired prompts are still there and live.
        next_seq = db.session.scalar(sa.select(sa.func.max(Prompt.seq))) + 1
        for offset, rid in enumerate(retired):
            db.session.add(
                Prompt(id=rid, seq=next_seq + offset, theme_id=rid.rsplit("-", 1)[0], depth=1, text="An older prompt.")
            )
        db.session.commit()
        report = library.load_library(library_copy)
        db.session.commit()
        assert report.retired == len(retired) and report.added == 0
        rows = db.session.scalars(sa.select(Prompt).where(Prompt.id.in_(retired))).all()
        assert len(rows) == len(retired) and all(row.retired for row in rows)
        # Delivery never picks a retired prompt.
        deck = delivery.Deck.load()
        assert not {p.id for p in deck.by_seq.values()} & set(retired)
        assert len(deck.by_seq) == len(tomllib.loads(PROMPT_LIBRARY.read_text())["prompts"])
        assert not library.load_library(library_copy).changed


def test_load_prompts_command(runner):
    result = runner.invoke(args=["load-prompts"])
    assert result.exit_code == 0
    assert "0 added" in result.output and "0 updated" in result.output
