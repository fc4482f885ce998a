"""The emotional-language coach: notices blame, defending and minimising, and offers a kinder form.

It only ever suggests; nothing is blocked. It has two modes. "speaker" reads
answers, the hurt partner's side: blame phrasing ("you always", "it's your
fault") gets the "I felt … when …" form. "listener" reads reflections and
"what you'd add": defending ("but …" after an acknowledgement, "I only did it
because …") and minimising ("you're overreacting", "at least …") get a nudge
back to what the other person said.

The rules are data, in static/js/coach-rules.json: word lists and patterns, one
source for this module and for static/js/coach.js, which fetches the same file
(served as static, so a page never carries it) and reads a text in the same steps:

1. Lower-case it and map curly quotes and dashes ("characters").
2. Split it into words (letters and digits, with inner ' or -) and punctuation.
3. A pair of "…" or '…' quotes within one paragraph holds someone else's words:
   the span becomes a clause break.
4. Expand contractions (you're -> you are); sentence ends become ".", other
   punctuation ",".
5. Drop reported speech: after a reporting verb ("she yelled", "he told me
   that", "you think") the rest of the sentence is not the writer's own.
6. Match each rule's patterns in every sentence, then apply its guards.

A pattern is words separated by spaces: a literal (alternatives with |), @list
(one phrase from a word list), _ (any word), ^ and $ (a span's edge or a
clause break), each optionally followed by ? (optional) or * (any number).
Guards: unless_before (in the few words before the match, back to a clause
word), unless_after (right after it), unless_sentence (anywhere in the
sentence; a list means all of them), unless_prev_sentence, requires_before
(anywhere earlier), match_polarity and sentence_polarity (hurtful, warm,
unknown or empty wording decides), and predicate: what follows an absolute
("you always know how to hurt me" is blame, "you never gave up on us" is not).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# Served to the browser as a static file (fetched once, kept by the service worker), read here from the same file.
RULES_PATH = Path(__file__).resolve().parents[2] / "static" / "js" / "coach-rules.json"
MODES = ("speaker", "listener")

_TOKEN = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*|[.!?;,:()/\"'\n-]")
_SENTENCE_ENDS = frozenset(".!?;\n")
_BOUNDARIES = frozenset(".,")


@dataclass(frozen=True)
class Hint:
    """One thing the coach noticed: which rule, what kind, and the words we offer."""

    id: str
    kind: str
    hint: str
    example: str


@dataclass(frozen=True)
class _Element:
    kind: str  # "word", "list", "any", "start" or "end"
    words: frozenset[str] = frozenset()
    name: str = ""
    repeat: str = ""  # "", "?" or "*"


@dataclass
class _Engine:
    data: dict
    index: dict[str, dict[str, list[tuple[str, ...]]]]
    patterns: dict[str, tuple[_Element, ...]]
    firsts: dict[str, frozenset[str] | None]


def _compile_pattern(text: str) -> tuple[_Element, ...]:
    elements = []
    for part in text.split():
        repeat = ""
        if len(part) > 1 and part[-1] in "?*":
            part, repeat = part[:-1], part[-1]
        if part == "^":
            elements.append(_Element("start"))
        elif part == "$":
            elements.append(_Element("end"))
        elif part == "_":
            elements.append(_Element("any", repeat=repeat))
        elif part.startswith("@"):
            elements.append(_Element("list", name=part[1:], repeat=repeat))
        else:
            elements.append(_Element("word", words=frozenset(part.split("|")), repeat=repeat))
    return tuple(elements)


def _all_patterns(data: dict) -> list[str]:
    """Every pattern the rules use, so each is compiled once."""
    found = data["reporting"]["intros"] + data["reporting"]["not_before"]
    for rule in data["rules"]:
        found += rule["patterns"]
        found += rule.get("unless_before", []) + rule.get("unless_after", []) + rule.get("requires_before", [])
        found += rule.get("unless_prev_sentence", [])
        for group in rule.get("unless_sentence", []):
            found += group if isinstance(group, list) else [group]
        for context in rule.get("predicate", {}).get("contexts", []):
            found += context["before"]
    return found


@cache
def _engine() -> _Engine:
    data = json.loads(RULES_PATH.read_text(encoding="utf-8"))
    index: dict[str, dict[str, list[tuple[str, ...]]]] = {}
    for name, phrases in data["lists"].items():
        # Longest phrase first (a stable sort), so "let me down" is tried before "let".
        by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in sorted((tuple(p.split()) for p in phrases), key=len, reverse=True):
            by_first.setdefault(phrase[0], []).append(phrase)
        index[name] = by_first
    patterns = {text: _compile_pattern(text) for text in _all_patterns(data)}
    firsts = {text: _first_words(elements, index) for text, elements in patterns.items()}
    return _Engine(data, index, patterns, firsts)


def _first_words(elements: tuple[_Element, ...], index: dict) -> frozenset[str] | None:
    """The words a match of the pattern can begin with (None: any), so most places are skipped."""
    first: set[str] = set()
    for element in elements:
        if element.kind in ("start", "end"):
            continue
        if element.kind == "any":
            return None
        first |= element.words if element.kind == "word" else set(index[element.name])
        if not element.repeat:
            return frozenset(first)
    return None


# Reading a text into words -----------------------------------------------------------------


def _expand(word: str, data: dict) -> list[str]:
    if word in data["contractions"]:
        return data["contractions"][word].split()
    for suffix, replacement in data["suffixes"]:
        if word.endswith(suffix) and len(word) > len(suffix):
            return _expand(word[: -len(suffix)], data) + replacement.split()
    if word.endswith("'s") and len(word) > 2:
        stem = word[:-2]
        return [stem, "is"] if stem in data["s_is"] else [stem]
    return [word]


def words_of(text: str) -> list[str]:
    """The text as the rules see it: expanded words, "." between sentences, "," between clauses."""
    data = _engine().data
    text = (text or "").lower()
    for char, replacement in data["characters"].items():
        text = text.replace(char, replacement)
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]

    def is_word(k: int) -> bool:
        return tokens[k][0][0].isalnum()

    def opens(k: int) -> bool:  # a ' that starts a quote: touching the next word, not the previous token
        return (
            k + 1 < len(tokens)
            and tokens[k + 1][1] == tokens[k][2]
            and is_word(k + 1)
            and (k == 0 or tokens[k - 1][2] != tokens[k][1])
        )

    def closes(k: int) -> bool:  # a ' that ends a quote: touching the previous token
        return k > 0 and tokens[k - 1][2] == tokens[k][1]

    words: list[str] = []
    k = 0
    while k < len(tokens):
        token = tokens[k][0]
        if token == '"' or (token == "'" and opens(k)):
            end = k + 1
            while end < len(tokens) and tokens[end][0] != "\n":
                if tokens[end][0] == token and (token == '"' or closes(end)):
                    break
                end += 1
            if end < len(tokens) and tokens[end][0] == token:
                words.append(",")
                k = end + 1
                continue
        if is_word(k):
            words += _expand(token, data)
        elif token in _SENTENCE_ENDS:
            words.append(".")
        elif token not in "\"'":
            words.append(",")
        k += 1
    return _drop_reported(words)


def _drop_reported(words: list[str]) -> list[str]:
    """Words with reported speech dropped: after an intro ("she said", "he told me that") the
    sentence, or its clause up to ", and" / ", but", is someone else's; "said it because" is not."""
    engine = _engine()
    reporting = engine.data["reporting"]
    intros = [engine.patterns[p] for p in reporting["intros"]]
    not_before = [engine.patterns[p] for p in reporting["not_before"]]
    out: list[str] = []
    k = 0
    while k < len(words):
        end = -1
        if words[k] not in _BOUNDARIES:
            for intro in intros:
                end = _match(intro, 0, words, k, k, len(words))
                if end > k and end < len(words) and words[end] not in _BOUNDARIES:
                    if not any(_match(p, 0, words, end, end, len(words)) >= 0 for p in not_before):
                        break
                end = -1
        if end < 0:
            out.append(words[k])
            k += 1
            continue
        out += words[k:end]
        out.append(",")
        k = end
        while (
            k < len(words)
            and words[k] != "."
            and not (words[k] == "," and k + 1 < len(words) and words[k + 1] in reporting["end_after_comma"])
        ):
            k += 1
    return out


# Matching ----------------------------------------------------------------------------------


def _steps(element: _Element, words: list[str], i: int, hi: int) -> list[int]:
    """Where one occurrence of the element starting at i can end (longest first)."""
    if i >= hi:
        return []
    word = words[i]
    if element.kind == "any":
        return [] if word in _BOUNDARIES else [i + 1]
    if element.kind == "word":
        return [i + 1] if word in element.words else []
    ends = []
    for phrase in _engine().index[element.name].get(word, ()):
        if i + len(phrase) <= hi and tuple(words[i : i + len(phrase)]) == phrase:
            ends.append(i + len(phrase))
    return ends


def _match(elements: tuple[_Element, ...], k: int, words: list[str], i: int, lo: int, hi: int) -> int:
    """The end of the first match of elements[k:] at i within [lo, hi), or -1."""
    if k == len(elements):
        return i
    element = elements[k]
    if element.kind == "start":
        return _match(elements, k + 1, words, i, lo, hi) if i == lo or words[i - 1] in _BOUNDARIES else -1
    if element.kind == "end":
        return _match(elements, k + 1, words, i, lo, hi) if i == hi or words[i] in _BOUNDARIES else -1
    for j in _steps(element, words, i, hi):
        end = _match(elements, k if element.repeat == "*" else k + 1, words, j, lo, hi)
        if end >= 0:
            return end
    return _match(elements, k + 1, words, i, lo, hi) if element.repeat else -1


def _may_start(pattern: str, words: list[str], start: int) -> bool:
    first = _engine().firsts[pattern]
    return first is None or words[start] in first


def _found(pattern: str, words: list[str], lo: int, hi: int) -> bool:
    elements = _engine().patterns[pattern]
    return any(
        _may_start(pattern, words, start) and _match(elements, 0, words, start, lo, hi) >= 0 for start in range(lo, hi)
    )


def _phrase_at(name: str, words: list[str], i: int, hi: int) -> int:
    ends = _steps(_Element("list", name=name), words, i, hi)
    return ends[0] if ends else -1


def _skip(words: list[str], i: int, hi: int) -> int:
    while (end := _phrase_at("intensifiers", words, i, hi)) > i:
        i = end
    return i


def _lookback(words: list[str], start: int, lo: int) -> int:
    """Where the words before a match begin: back to a clause word, a break or the limit."""
    data = _engine().data
    j = start
    while j > lo and words[j - 1] not in _BOUNDARIES and start - (j - 1) <= data["lookback"]:
        j -= 1
        if words[j] in data["lists"]["clause_words"]:
            break
    return j


def _negated(words: list[str], i: int, lo: int) -> bool:
    """Whether the word at i follows a negator, directly or across one softener ("not really kind")."""
    lists = _engine().data["lists"]
    if i - 1 >= lo and words[i - 1] in lists["negators"]:
        return True
    return i - 2 >= lo and words[i - 2] in lists["negators"] and words[i - 1] in lists["softeners"]


def _classify(words: list[str], lo: int, hi: int, negators_hurt: bool = False) -> str:
    """Whether wording is "hurtful", "warm", "unknown" or "empty"; a negator just before flips it."""
    if lo >= hi:
        return "empty"
    hurt = warm = False
    for i in range(lo, hi):
        for name, flips_to_warm in (("hurtful", True), ("warm", False)):
            if _phrase_at(name, words, i, hi) > i:
                if _negated(words, i, lo) == flips_to_warm:
                    warm = True
                else:
                    hurt = True
        if negators_hurt and _phrase_at("negators", words, i, hi) > i:
            hurt = True
    return "hurtful" if hurt else "warm" if warm else "unknown"


def _predicate(config: dict, words: list[str], end: int, hi: int, before: int, start: int) -> bool:
    """Whether what follows the match makes it a hit, by the rule's polarity table."""
    lists = _engine().data["lists"]
    table = config["polarity"]
    in_context = False
    for context in config.get("contexts", []):
        if any(_found(p, words, before, start) for p in context["before"]):
            table, in_context = context["polarity"], True
            break
    i = _skip(words, end, hi)
    if (flip := _phrase_at("flips", words, i, hi)) > i:
        i = _skip(words, flip, hi)
        if not in_context:
            table = config["flipped"]
    lenient = False
    if "lenient" in config and (softer := _phrase_at(config["lenient"], words, i, hi)) > i:
        i, lenient = _skip(words, softer, hi), True
    j = i
    while (
        j < hi
        and words[j] not in _BOUNDARIES
        and words[j] not in lists["stop_words"]
        and j - i < _engine().data["window"]
    ):
        j += 1
    if "idioms" in config and _phrase_at(config["idioms"], words, i, j) > i:
        if not any(words[k] in lists["first_person"] for k in range(i, j)):
            return False
    kind = _classify(words, i, j, config.get("negators_hurt", False))
    if lenient and kind != "hurtful":
        return False
    if kind == "unknown" and "bad_start" in config and _phrase_at(config["bad_start"], words, i, j) > i:
        kind = "hurtful"
    return table[kind]


def _passes(rule: dict, words: list[str], start: int, end: int, sentences: list[tuple[int, int]], s: int) -> bool:
    """Whether a match of the rule's pattern at [start, end) in sentence s survives its guards."""
    lo, hi = sentences[s]
    patterns = _engine().patterns
    if "requires_before" in rule and not any(_found(p, words, 0, start) for p in rule["requires_before"]):
        return False
    before = _lookback(words, start, lo)
    if any(_found(p, words, before, start) for p in rule.get("unless_before", [])):
        return False
    if any(_match(patterns[p], 0, words, end, end, hi) >= 0 for p in rule.get("unless_after", [])):
        return False
    for group in rule.get("unless_sentence", []):
        if all(_found(p, words, lo, hi) for p in (group if isinstance(group, list) else [group])):
            return False
    if s > 0 and any(_found(p, words, *sentences[s - 1]) for p in rule.get("unless_prev_sentence", [])):
        return False
    if "match_polarity" in rule and not rule["match_polarity"][_classify(words, start, end)]:
        return False
    if "sentence_polarity" in rule and not rule["sentence_polarity"][_classify(words, lo, hi)]:
        return False
    if "predicate" in rule:
        return _predicate(rule["predicate"], words, end, hi, before, start)
    return True


def _sentences(words: list[str]) -> list[tuple[int, int]]:
    spans, lo = [], 0
    for i, word in enumerate(words + ["."]):
        if word == ".":
            if i > lo:
                spans.append((lo, i))
            lo = i + 1
    return spans


def _hit(rule: dict, words: list[str], sentences: list[tuple[int, int]]) -> bool:
    patterns = _engine().patterns
    for s, (lo, hi) in enumerate(sentences):
        for start in range(lo, hi):
            if words[start] in _BOUNDARIES:
                continue
            for pattern in rule["patterns"]:
                if not _may_start(pattern, words, start):
                    continue
                end = _match(patterns[pattern], 0, words, start, lo, hi)
                if end > start and _passes(rule, words, start, end, sentences, s):
                    return True
    return False


# The API -----------------------------------------------------------------------------------


def suggestions(text: str, mode: str = "speaker") -> list[Hint]:
    """What the coach noticed in the text, in rule order (empty when the wording is fine).

    mode is "speaker" for answers (blame) or "listener" for reflections and what
    the speaker would add (defending, minimising).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    data = _engine().data
    words = words_of(text)
    sentences = _sentences(words)
    return [
        Hint(rule["id"], rule["kind"], rule["hint"], data["kinds"][rule["kind"]]["example"])
        for rule in data["rules"]
        if rule["mode"] == mode and _hit(rule, words, sentences)
    ]


@cache
def rules_json() -> str:
    """The rules file as compact JSON, for the browser's copy of the coach."""
    return json.dumps(_engine().data, ensure_ascii=False, separators=(",", ":"))
