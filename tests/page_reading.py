"""Reading a page as a person (and a screen reader) meets it: the words shown, and the form fields
with the questions they belong to. Used by the page checks and the browser tour."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Words and phrases that belong to the code, not to the people using the service. A page that
# shows one of these is wrong, whatever else it says.
DEVELOPER_WORDS = (
    "flask ",
    "payout-run",
    "more_info",
    "more info",
    "requested →",
    "→",
    " 1 hours",
    " 1 sessions",
    " 1 weeks",
    "Not a valid",
    "This field is required",
    "Invalid choice",
    "Invalid value",
    "None",
    "pending",
    "_by_",
    "cancelled_by",
    "Traceback",
    "undefined",
    "add Tell",
    "[]",
    "{}",
)
# A raw tag shown as text: the page escaped markup it meant to render.
RAW_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(\s|>|/)")
_WORD_CHARS = re.compile(r"\w")

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
# What the person typed (a textarea) is theirs, not the page's words.
_UNSHOWN = {"script", "style", "template", "title", "head", "textarea"}
_CHOICE_TYPES = {"radio", "checkbox"}
_UNLABELLED_TYPES = {"hidden", "submit", "button", "image", "reset"}


@dataclass
class Field:
    """A form control and what surrounds it: its id, its fieldset's legend, its wrapping label."""

    tag: str
    type: str
    name: str
    id: str
    aria_label: str
    in_label: bool
    legends: list[str]


@dataclass
class Page:
    text: str
    fields: list[Field]
    label_for: set[str] = field(default_factory=set)

    def developer_words(self) -> list[str]:
        """Each developer word the visible text holds, with some text around it."""
        found = []
        for word in DEVELOPER_WORDS:
            for match in re.finditer(re.escape(word), self.text, flags=_case(word)):
                if _inside_a_word(self.text, match.start(), match.end(), word):
                    continue
                start, end = max(0, match.start() - 40), match.end() + 40
                found.append(f"{word!r} in …{self.text[start:end]}…")
        return found

    def raw_tags(self) -> list[str]:
        return [
            f"…{self.text[max(0, m.start() - 40) : m.end() + 40]}…"
            for m in RAW_TAG.finditer(self.text)
        ]

    def questions_missing(self) -> list[str]:
        """Radio buttons and groups of checkboxes outside a fieldset with a legend, and other
        fields (a checkbox on its own too) with no label."""
        missing = []
        names = [control.name for control in self.fields]
        for control in self.fields:
            named = control.name or control.id
            grouped = control.type == "radio" or names.count(control.name) > 1
            if control.type in _CHOICE_TYPES and grouped:
                if not any(legend.strip() for legend in control.legends):
                    missing.append(f"{control.type} {named!r} is not in a fieldset with a legend")
            elif control.type not in _UNLABELLED_TYPES and not self._labelled(control):
                missing.append(f"{control.tag} {named!r} has no label")
        return sorted(set(missing))

    def _labelled(self, control: Field) -> bool:
        return bool(control.in_label or control.aria_label or control.id in self.label_for)


def _case(word: str) -> re.RegexFlag:
    # Lower-case words are found in any case ("Pending"); the rest exactly as written ("None").
    return re.IGNORECASE if word.islower() else re.NOFLAG


def _inside_a_word(text: str, start: int, end: int, word: str) -> bool:
    """'pending' inside 'spending' or 'None' inside 'Nonetheless' is not the word."""
    if not _WORD_CHARS.match(word[0]) or not _WORD_CHARS.match(word[-1]):
        return False
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return bool(_WORD_CHARS.match(before) or _WORD_CHARS.match(after))


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.chunks: list[str] = []
        self.fields: list[Field] = []
        self.label_for: set[str] = set()
        self.legends: list[list[str]] = []  # one list of legend text per open fieldset
        self.in_legend = 0
        self.in_label = 0
        self.hidden_depth: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "fieldset":
            self.legends.append([])
        elif tag == "legend":
            self.in_legend += 1
        elif tag == "label":
            self.in_label += 1
            if values.get("for"):
                self.label_for.add(values["for"])
        elif tag in ("input", "select", "textarea"):
            self._field(tag, values)
        if tag in ("br", "p", "li", "td", "th", "dd", "dt", "h1", "h2", "h3", "div", "option"):
            self.chunks.append(" ")
        if tag not in _VOID:
            self.stack.append(tag)
            if self.hidden_depth is None and (tag in _UNSHOWN or "hidden" in values):
                self.hidden_depth = len(self.stack)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.stack:
            return
        while self.stack:
            if self.hidden_depth is not None and len(self.stack) <= self.hidden_depth:
                self.hidden_depth = None
            closed = self.stack.pop()
            self._close(closed)
            if closed == tag:
                break
        self.chunks.append(" ")

    def _close(self, tag: str) -> None:
        if tag == "fieldset" and self.legends:
            self.legends.pop()
        elif tag == "legend":
            self.in_legend -= 1
        elif tag == "label":
            self.in_label -= 1

    def handle_data(self, data: str) -> None:
        if self.in_legend and self.legends:
            self.legends[-1].append(data)
        if self.hidden_depth is None:
            self.chunks.append(data)

    def _field(self, tag: str, values: dict[str, str]) -> None:
        self.fields.append(
            Field(
                tag=tag,
                type=values.get("type", "text") if tag == "input" else tag,
                name=values.get("name", ""),
                id=values.get("id", ""),
                aria_label=values.get("aria-label", "") or values.get("aria-labelledby", ""),
                in_label=self.in_label > 0,
                legends=["".join(parts) for parts in self.legends],
            )
        )


def read(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    text = re.sub(r"\s+", " ", "".join(reader.chunks))
    return Page(text=text, fields=reader.fields, label_for=reader.label_for)
