"""Near misses for an unknown model id: the id without its `author/` prefix, or a close spelling.

Only strong hints are offered (a missing prefix, or a spelling at least `CUTOFF` similar), so an id that
is simply not in the catalog still reads just `Model not found: <id>`.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

CUTOFF = 0.9
MOST = 3


def similar_ids(model_id: str, known: Sequence[str]) -> list[str]:
    """Up to three catalog ids the caller probably meant, best first; empty when none is close."""
    wanted = model_id.strip().lower()
    if not wanted:
        return []
    by_lower = {item.lower(): item for item in known}
    prefixed = [item for item in known if item.lower().split("/", 1)[-1] == wanted and "/" not in wanted]
    close = [by_lower[item] for item in difflib.get_close_matches(wanted, list(by_lower), n=MOST, cutoff=CUTOFF)]
    found: list[str] = []
    for item in [*prefixed, *close]:
        if item not in found:
            found.append(item)
    return found[:MOST]
