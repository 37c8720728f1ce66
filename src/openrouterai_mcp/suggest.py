"""Near misses: for an unknown model id, the id without its `author/` prefix or a close spelling; for an
unknown argument name, the argument of that object spelt differently (case, `_`, a typo).

Only strong hints are offered (a missing prefix, the same name in another case or separator, or a spelling
at least `CUTOFF` / `NAME_CUTOFF` similar), so an id that is simply not in the catalog still reads just
`Model not found: <id>`, and an argument the tool does not have just `unknown argument`.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Sequence

from pydantic import BaseModel

CUTOFF = 0.9
MOST = 3
# Argument names are short: `quer` is 0.89 like `query`, while `top_k` is only 0.75 like `top_p`.
NAME_CUTOFF = 0.8


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


def similar_name(name: str, known: Sequence[str]) -> str | None:
    """The argument name the caller probably meant by `name`, or None when none is close."""
    by_plain = {_plain(item): item for item in known}
    wanted = _plain(name)
    if not wanted:
        return None
    if wanted in by_plain:
        return by_plain[wanted]
    close = difflib.get_close_matches(wanted, list(by_plain), n=1, cutoff=NAME_CUTOFF)
    return by_plain[close[0]] if close else None


def _plain(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def argument_names(model: type[BaseModel], path: Sequence[int | str]) -> list[str]:
    """The argument names (aliases where set) of the object at `path` in `model`'s arguments.

    `path` is a pydantic error location without its last part; list indexes and union tags are skipped.
    """
    models = [model]
    for part in path:
        if isinstance(part, int):
            continue
        inner = [found for current in models for found in _models_in(_annotation(current, part))]
        if inner or not part.startswith("<"):
            models = inner
    names: list[str] = []
    for current in models:
        names += [info.alias or name for name, info in current.model_fields.items()]
    return names


def _annotation(model: type[BaseModel], name: str) -> typing.Any:
    for field_name, info in model.model_fields.items():
        if name in (field_name, info.alias):
            return info.annotation
    return None


def _models_in(annotation: typing.Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [found for argument in typing.get_args(annotation) for found in _models_in(argument)]
