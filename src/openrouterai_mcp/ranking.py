"""The order of search results (SPEC §8): text queries with ranking tiers, and the three sorts.

A one-word query is the original's contract, unchanged: a case-insensitive substring of the id,
name or description. A query of several words (split on whitespace) matches when each word appears
in the id, name or description, where `-`, `_`, `/`, `.` and `:` count as spaces on both sides, so
`gpt 4o mini` finds `openai/gpt-4o-mini` and `claude 3.5` finds `Claude 3.5 Sonnet`.

Without a sort, matches come in tiers, catalog order within each: the id (or the id without its
`author/` prefix) equals the query; the id contains it; the name contains it; only the description
does. For several words "contains it" means "contains every word" (the name tier: every word is in
the id or the name). A sort (`price`, `context`, `newest`) replaces the tiers; unknown values last.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .catalog import IndexedModel

_SEPARATORS = re.compile(r"[-_/.:\s]+")
SORTS = ("price", "context", "newest")
TIERS = 4


def normalize_words(text: str) -> str:
    """Lower-cased, with every run of `-_/.:` and whitespace read as one space."""
    return _SEPARATORS.sub(" ", text.lower()).strip()


@dataclass(frozen=True, slots=True)
class TextQuery:
    """A parsed `query`: the plain lower-cased text, and its words when there are several."""

    text: str
    words: tuple[str, ...] | None
    joined: str

    @classmethod
    def parse(cls, query: str | None) -> TextQuery | None:
        if query is None:
            return None
        text = query.strip().lower()
        if len(text.split()) < 2:
            return cls(text, None, text)
        # Each whitespace-separated word is read with separators as spaces: `3.5` must appear as `3 5`.
        words = tuple(word for word in (normalize_words(part) for part in text.split()) if word)
        if not words:
            return cls(text, None, text)
        return cls(text, words, " ".join(words))

    def matches(self, row: IndexedModel) -> bool:
        if self.words is None:
            return self.text in row.haystack
        return all(word in row.words_all for word in self.words)

    def tier(self, row: IndexedModel) -> int | None:
        """0 exact id, 1 id, 2 name, 3 description only; None when the model does not match."""
        if self.words is None:
            text = self.text
            if text not in row.haystack:
                return None
            if text in (row.id_lower, row.tail_lower):
                return 0
            if text in row.id_lower:
                return 1
            return 2 if text in row.name_lower else 3
        words = self.words
        if not all(word in row.words_all for word in words):
            return None
        if self.joined in (row.words_id, row.words_tail):
            return 0
        if all(word in row.words_id for word in words):
            return 1
        return 2 if all(word in row.words_id or word in row.words_name for word in words) else 3


def _price_key(row: IndexedModel) -> tuple[Any, ...]:
    # Variable (router) and unknown prompt prices go last; then by completion price, unknown last.
    prompt, completion = row.prompt_price, row.completion_price
    return (prompt is None, prompt or Decimal(0), completion is None, completion or Decimal(0))


def _context_key(row: IndexedModel) -> tuple[bool, int]:
    return (row.context_length is None, -(row.context_length or 0))


def _newest_key(row: IndexedModel) -> tuple[bool, int]:
    return (row.created is None, -(row.created or 0))


_KEYS: dict[str, Callable[[IndexedModel], Any]] = {"price": _price_key, "context": _context_key, "newest": _newest_key}


def sort_orders(rows: Sequence[IndexedModel]) -> dict[str, list[IndexedModel]]:
    """The catalog in each sort order, computed once per fetch. `sorted` is stable: ties keep catalog order."""
    return {name: sorted(rows, key=key) for name, key in _KEYS.items()}
