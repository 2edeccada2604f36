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
    patterns = _patterns(frozenset(terms))
    if snippet:
        first = patterns[0].search(text) if patterns else None
        if first is None:
            return ""
        start = max(0, first.start() - 60)
        prefix, suffix = ("…" if start else ""), ("…" if start + SNIPPET_CHARS < len(text) else "")
        return prefix + highlight(text[start : start + SNIPPET_CHARS], terms) + suffix
    escaped = str(escape(text))
    if patterns is None:
        return escaped
    return patterns[1].sub(_marked, escaped)


def _marked(match: re.Match[str]) -> str:
    return "<mark>" + match.group() + "</mark>"


@lru_cache(maxsize=256)
def _patterns(terms: frozenset[str]) -> tuple[re.Pattern[str], re.Pattern[str]] | None:
    """Whole words equal to a term, ignoring ASCII case (other terms can never match a word):
    in plain text, and in the same text escaped for HTML, where a word just after "&" or "&#"
    is part of an escape ("&amp;", "&#39;"; a word after a real "&" follows "&amp;")."""
    words = sorted((t for t in terms if _TERM.fullmatch(t)), key=len, reverse=True)
    if not words:
        return None
    alternatives = "|".join(map(re.escape, words))
    plain = rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])"
    return re.compile(plain, re.I | re.A), re.compile(r"(?<!&)(?<!&#)" + plain, re.I | re.A)
