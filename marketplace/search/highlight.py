"""Marking matched words in a title or description, for engines that do not do it themselves."""

from __future__ import annotations

import re
from functools import lru_cache

from markupsafe import escape

SNIPPET_CHARS = 220
_TERM = re.compile(r"[a-z0-9]+")


def highlight(text: str, terms: set[str], snippet: bool = False) -> str:
    """Escaped text with each word (a run of ASCII letters and digits) whose lower case is in
    `terms` wrapped in <mark>. With `snippet`, about SNIPPET_CHARS characters around the first
    match, or "" when nothing matches."""
    pattern = _pattern(frozenset(terms))
    if snippet:
        first = pattern.search(text) if pattern else None
        if first is None:
            return ""
        start = max(0, first.start() - 60)
        prefix, suffix = ("…" if start else ""), ("…" if start + SNIPPET_CHARS < len(text) else "")
        return prefix + highlight(text[start : start + SNIPPET_CHARS], terms) + suffix
    if pattern is None:
        return str(escape(text))
    # Plain strings joined (the pieces are escaped here), as Markup would, without its overhead.
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out += (escape(text[last : match.start()]), "<mark>", escape(match.group()), "</mark>")
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


@lru_cache(maxsize=256)
def _pattern(terms: frozenset[str]) -> re.Pattern[str] | None:
    """Whole words equal to a term, ignoring ASCII case (other terms can never match a word)."""
    words = sorted((t for t in terms if _TERM.fullmatch(t)), key=len, reverse=True)
    if not words:
        return None
    alternatives = "|".join(map(re.escape, words))
    return re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])", re.I | re.A)
