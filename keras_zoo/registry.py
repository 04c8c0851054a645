"""The one name -> object table behind models, tasks and recipes (imports nothing of keras_zoo).

Every registry behaves the same way: names are case-insensitive, registering a name twice raises,
an unknown name raises ``ValueError`` with the close matches, and ``names("vit_*")`` lists the
names matching a shell-style pattern.
"""

from __future__ import annotations

import builtins
import difflib
import fnmatch
from typing import Generic, Iterator, TypeVar

T = TypeVar("T")

#: Characters that make a ``names`` argument a pattern rather than a name.
WILDCARDS = "*?["


def is_pattern(text) -> bool:
    """Whether ``text`` is a shell-style pattern (``"resnet*"``), not a plain name."""
    return isinstance(text, str) and any(c in text for c in WILDCARDS)


class Registry(Generic[T]):
    """Named objects of one kind (``"model"``, ``"task"``, ``"recipe"``).

    Args:
        kind: what the names name, for the messages ("Unknown model name ...").
        listing: how a user lists them all, appended to the unknown-name message
            (``"`keras-zoo list` shows all {count} models."``; ``{count}`` is filled in).
    """

    def __init__(self, kind: str, listing: str = ""):
        self.kind = kind
        self.listing = listing
        self._items: dict[str, T] = {}

    def add(self, name: str, item: T) -> T:
        """Registers ``item`` under ``name`` (lower-cased); a name registered twice raises."""
        key = self._key(name)
        if key in self._items:
            raise ValueError(f"{self.kind.capitalize()} name {key!r} is registered twice.")
        self._items[key] = item
        return item

    def get(self, name: str) -> T:
        """The item of ``name``; ``ValueError`` with close matches if it is unknown."""
        key = self._key(name)
        if key not in self._items:
            close = difflib.get_close_matches(key, sorted(self._items), n=5, cutoff=0.5)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            listing = (self.listing.format(count=len(self._items)) if self.listing
                       else f"Known: {', '.join(sorted(self._items))}.")
            raise ValueError(f"Unknown {self.kind} name {name!r}.{hint} {listing}")
        return self._items[key]

    def names(self, pattern: str | None = None) -> builtins.list[str]:
        """The sorted names, or those matching the shell-style ``pattern`` (case-insensitive)."""
        names = sorted(self._items)
        if pattern is None:
            return names
        return [n for n in names if fnmatch.fnmatchcase(n, pattern.lower())]

    def values(self, pattern: str | None = None) -> builtins.list[T]:
        return [self._items[n] for n in self.names(pattern)]

    def _key(self, name) -> str:
        if not isinstance(name, str):
            raise TypeError(f"{self.kind} name must be a str, got {type(name).__name__}.")
        return name.lower()

    def __contains__(self, name) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
