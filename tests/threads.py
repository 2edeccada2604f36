"""Running one piece of work in many threads at once, as concurrent requests would."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any


def run_together(work: Callable[[Any], object], inputs: Iterable[Any], timeout: float = 60) -> None:
    """Start a thread doing `work(item)` for each item, then wait (up to `timeout` seconds
    each) for them all to finish."""
    threads = [threading.Thread(target=work, args=(item,)) for item in inputs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
