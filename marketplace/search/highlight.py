"""Marking matched words in a title or description, for engines that do not do it themselves."""

from __future__ import annotations

from collections.abc import Iterable

SNIPPET_CHARS = 220
_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")  # ASCII only:
# every character keeps its place
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
# HTML escapes, as markupsafe.escape writes them (a word of letters and digits needs none).
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})


def highlight(text: str, terms: Iterable[str], snippet: bool = False) -> str:
    """Escaped text with each word (a run of ASCII letters and digits) whose lower case is in
    `terms` wrapped in <mark>. With `snippet`, about SNIPPET_CHARS characters around the first
    match, or "" when nothing matches."""
    lower = text.lower() if text.isascii() else text.translate(_LOWER)
    found = _whole_words(lower, terms)
    if snippet:
        if not found:
            return ""
        start = max(0, found[0][0] - 60)
        if start or len(text) > SNIPPET_CHARS:  # (otherwise the snippet is the whole text)
            suffix = "…" if start + SNIPPET_CHARS < len(text) else ""
            window = highlight(text[start : start + SNIPPET_CHARS], terms)
            return ("…" if start else "") + window + suffix
    if not found:
        return _escaped(text)
    marked, done = [], 0
    for start, end in found:
        marked += [_escaped(text[done:start]), "<mark>", text[start:end], "</mark>"]
        done = end
    marked.append(_escaped(text[done:]))
    return "".join(marked)


def _escaped(text: str) -> str:
    """The text escaped for HTML (most text has nothing to escape: quicker to know so)."""
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return text.translate(_ESCAPE)
    return text


def _whole_words(lower: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Where each term stands as a whole word in the lower-cased text, in order. Looking each
    term up (a few of them, in short texts) is quicker than reading every word; whole words
    never overlap."""
    found = []
    size = len(lower)
    for term in terms:
        if not (term.isascii() and term.isalnum()):
            continue  # (it can never be a word of ASCII letters and digits)
        at = lower.find(term)
        while at != -1:
            end = at + len(term)
            if (at == 0 or lower[at - 1] not in _WORD_CHARS) and (
                end == size or lower[end] not in _WORD_CHARS
            ):
                found.append((at, end))
            at = lower.find(term, at + 1)
    found.sort()
    return found
