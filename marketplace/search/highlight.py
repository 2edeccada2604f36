"""Marking matched words in a title or description, for engines that do not do it themselves."""

from __future__ import annotations

import re
from collections.abc import Set

from markupsafe import escape

SNIPPET_CHARS = 220
_WORD = re.compile(r"[A-Za-z0-9]+")


def highlight(text: str, terms: Set[str], snippet: bool = False) -> str:
    """Escaped text with each word (a run of ASCII letters and digits) whose lower case is in
    `terms` wrapped in <mark>. With `snippet`, about SNIPPET_CHARS characters around the first
    match, or "" when nothing matches."""
    if snippet:
        first = next((m for m in _WORD.finditer(text) if m.group().lower() in terms), None)
        if first is None:
            return ""
        start = max(0, first.start() - 60)
        prefix, suffix = ("…" if start else ""), ("…" if start + SNIPPET_CHARS < len(text) else "")
        return prefix + highlight(text[start : start + SNIPPET_CHARS], terms) + suffix
    marked, done = [], 0
    for match in _WORD.finditer(text):
        if match.group().lower() in terms:
            marked += [escape(text[done : match.start()]), "<mark>", match.group(), "</mark>"]
            done = match.end()
    if not marked:
        return str(escape(text))
    marked.append(escape(text[done:]))
    return "".join(marked)
