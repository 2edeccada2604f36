"""What a demo load did: rows it added, accounts it made (with one-time passwords)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DemoReport:
    """What a load did: accounts made now (with one-time passwords) and what already existed."""

    new_logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role, email, password)
    existing_emails: list[str] = field(default_factory=list)
    added: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, n: int = 1) -> None:
        if n:
            self.added[what] = self.added.get(what, 0) + n
