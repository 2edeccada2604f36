"""Marking matched words in a title or description, for engines that do not do it themselves."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

SNIPPET_CHARS = 220
_WORD = re.compile(r"[A-Za-z0-9]+")


def highlight(text: str, terms: set[str], snippet: bool = False) -> str:
    """Escaped text with each word in `terms` (lower case) wrapped in <mark>. With `snippet`,
    about SNIPPET_CHARS characters around the first match, or "" when nothing matches."""
    matches = [m for m in _WORD.finditer(text) if m.group().lower() in terms]
    if snippet:
        if not matches:
            return ""
        start = max(0, matches[0].start() - 60)
        prefix, suffix = ("…" if start else ""), ("…" if start + SNIPPET_CHARS < len(text) else "")
        return prefix + highlight(text[start : start + SNIPPET_CHARS], terms) + suffix
    out, last = [], 0
    for match in matches:
        out.append(escape(text[last : match.start()]))
        out.append(Markup("<mark>%s</mark>") % match.group())
        last = match.end()
    out.append(escape(text[last:]))
    return str(Markup("").join(out))
