"""A small per-process cache of rendered Today pages.

Today is the page people open most, and it changes only when their couple's
state does. Each rendered page is kept against (person, couple, couple
version, the person's own version): every change a partner could see moves
the couple's version on in the same transaction, and a change only the person
sees moves theirs (services/couples/versions.py), so a stale page is never served
after it, and a partner's page never moves for what is sealed from them; a short lifetime bounds anything else (a renamed theme). Pages are never
shared between people, and the CSRF token is put back fresh on every serve.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable

CSRF_SLOT = "\x00csrf\x00"


class PageCache:
    """Least-recently-used pages with a time limit, safe for threaded servers."""

    def __init__(self, max_entries: int = 2048):
        self.max_entries = max_entries
        self._pages: OrderedDict[Hashable, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, max_age: float) -> str | None:
        with self._lock:
            entry = self._pages.get(key)
            if entry is None:
                return None
            stored_at, page = entry
            if time.monotonic() - stored_at > max_age:
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key: Hashable, page: str) -> None:
        with self._lock:
            self._pages[key] = (time.monotonic(), page)
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_entries:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
