"""The care words of data/search_vocabulary.toml, turned into what a search for them looks for.

One file serves every engine: the alternatives are worked out here, when a search is made, and
each engine gets the same ones. A phrase of several words is an alternative whose words must
stand next to each other in that order; a one-word phrase is matched with typo tolerance.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from marketplace.paths import PROJECT_ROOT

VOCABULARY_FILE = PROJECT_ROOT / "data" / "search_vocabulary.toml"

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    stop_words: frozenset[str]
    # Each known phrase and the alternatives a search for it looks for (itself first).
    meanings: dict[Phrase, tuple[Phrase, ...]]
    longest: int

    def meaning(self, words: Phrase, edits: tuple[int, ...]) -> tuple[Phrase, ...] | None:
        """The alternatives for `words` when they are a known phrase, each word allowed the
        typos in `edits` (the exact phrase wins over one with typos); None otherwise."""
        found = self.meanings.get(words)
        if found is not None:
            return found
        if not any(edits):
            return None
        first, best = len(words[0]), None
        for length in range(first - edits[0], first + edits[0] + 1):
            for place, phrase, alternatives in self._by_shape.get((len(words), length), ()):
                if (best is None or place < best[0]) and _near(words, phrase, edits):
                    best = (place, alternatives)
                    break  # (the first of its bucket in the file)
        return None if best is None else best[1]

    @cached_property
    def _by_shape(self) -> dict[tuple[int, int], list[tuple[int, Phrase, tuple[Phrase, ...]]]]:
        """The known phrases, with their place in the file and their alternatives, by number
        of words and length of the first: a word with a typo is within its allowed edits of
        the known word's length. Of several near a person's words, the first in the file
        wins."""
        found: dict[tuple[int, int], list[tuple[int, Phrase, tuple[Phrase, ...]]]] = {}
        for place, (phrase, alternatives) in enumerate(self.meanings.items()):
            key = (len(phrase), len(phrase[0]))
            found.setdefault(key, []).append((place, phrase, alternatives))
        return found


def _near(words: Phrase, phrase: Phrase, edits: tuple[int, ...]) -> bool:
    for word, known, allowed in zip(words, phrase, edits, strict=True):
        if abs(len(word) - len(known)) > allowed:  # (more edits than allowed, for certain)
            return False
        if Levenshtein.distance(word, known, score_cutoff=allowed) > allowed:
            return False
    return True


def _phrase(text: str) -> Phrase:
    return tuple(text.lower().split())


def _unique(phrases: list[Phrase]) -> tuple[Phrase, ...]:
    return tuple(dict.fromkeys(phrases))


def read_vocabulary(path: Path) -> Vocabulary:
    """The vocabulary of a file: `stop_words`; `same` groups (every phrase finds every other)
    and `finds` entries (their phrases find what the phrases in `means` find, one way)."""
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    groups: dict[Phrase, list[Phrase]] = {}
    for group in raw.get("same", []):
        phrases = [_phrase(p) for p in group["phrases"]]
        for phrase in phrases:
            groups.setdefault(phrase, []).extend(phrases)
    meanings = {phrase: list(_unique(found)) for phrase, found in groups.items()}
    for entry in raw.get("finds", []):
        phrases = [_phrase(p) for p in entry["phrases"]]
        meant = [alt for p in entry["means"] for alt in groups.get(_phrase(p), [_phrase(p)])]
        for phrase in phrases:
            meanings.setdefault(phrase, [phrase]).extend([*phrases, *meant])
    final = {phrase: _unique([phrase, *found]) for phrase, found in meanings.items()}
    lonely = sorted(" ".join(phrase) for phrase, found in final.items() if len(found) < 2)
    if lonely:
        # A clause of one word is a word the person typed (query.typed_word).
        raise ValueError(f"{path.name}: a phrase with nothing else it means: {lonely}")
    return Vocabulary(
        stop_words=frozenset(raw.get("stop_words", [])),
        meanings=final,
        longest=max((len(phrase) for phrase in final), default=1),
    )


@cache
def vocabulary() -> Vocabulary:
    """The app's vocabulary, read once."""
    return read_vocabulary(VOCABULARY_FILE)
