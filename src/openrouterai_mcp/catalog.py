"""The model catalog: `GET /models`, cached (TTL) and fetched once however many callers arrive together.

Each fetch builds an index once (lower-cased search text, prices per 1K tokens as `Decimal`,
capability flags, the rendered summary), so a search is a filter over ready-made rows. Capabilities
come from the real catalog fields, never from a `capabilities` object OpenRouter does not send:
tools/functions from `supported_parameters` ("tools"), json_mode from "response_format" or
"structured_outputs", reasoning from "reasoning" there; vision, audio_input, file_input and
video_input from "image", "audio", "file", "video" in `architecture.input_modalities`; image_output
from "image" in `architecture.output_modalities`. A price of "-1"
(router models such as `openrouter/auto`) means "variable": shown as such, never free, never under
a maximum-price filter. Fields an endpoint does not report stay `null` (unknown), never invented.

The order of results is `ranking.py`'s: tiers for a query, or a sort. The three sort orders are
computed once per fetch, so a sorted search is a filter over a ready-made list, as fast as an
unsorted one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import anyio
from cachetools import TTLCache
from pydantic import ValidationError

from .catalog_fields import created_of, derive_capabilities, format_price, modalities_of, price_per_thousand
from .errors import ModelNotFound, UpstreamProtocolError, UpstreamStatusError
from .jsonshape import as_dict, as_list
from .ranking import TIERS, TextQuery, normalize_words, sort_orders
from .schemas import CatalogModel, SearchArgs

logger = logging.getLogger(__name__)

# Suffixes OpenRouter accepts on any model id; they select a routing variant, not another model.
ROUTING_SUFFIXES = (":nitro", ":floor", ":online", ":exacto", ":thinking")
_SUMMARY_KEYS = {"id", "name", "description", "context_length", "pricing", "created"}


@dataclass(frozen=True, slots=True)
class IndexedModel:
    """A catalog entry prepared for search: everything a filter needs, computed once per fetch."""

    id: str
    haystack: str
    # Lower-cased id, id without its `author/` prefix, and name: for the ranking tiers.
    id_lower: str
    tail_lower: str
    name_lower: str
    # The same three fields and the description with separators read as spaces, for several-word queries.
    words_id: str
    words_tail: str
    words_name: str
    words_all: str
    parameters: frozenset[str] | None
    created: int | None
    provider: str
    context_length: int | None
    prompt_price: Decimal | None
    completion_price: Decimal | None
    capabilities: dict[str, bool | None]
    summary: dict[str, Any]
    entry: CatalogModel


def index_model(model: CatalogModel) -> IndexedModel:
    pricing = model.pricing or {}
    name = model.name or model.display_name
    capabilities = derive_capabilities(model)
    summary: dict[str, Any] = {
        "id": model.id,
        "name": name,
        "description": model.description,
        "context_length": model.context_length,
        "pricing": {
            "prompt": format_price(pricing.get("prompt")),
            "completion": format_price(pricing.get("completion")),
        },
        "capabilities": capabilities,
        "input_modalities": modalities_of(model, "input_modalities"),
        "output_modalities": modalities_of(model, "output_modalities"),
    }
    haystack = "\n".join(part.lower() for part in (model.id, name or "", model.description or ""))
    id_lower = model.id.lower()
    tail_lower = id_lower.split("/", 1)[1] if "/" in id_lower else id_lower
    words = [normalize_words(part) for part in (model.id, name or "", model.description or "")]
    params = model.supported_parameters
    return IndexedModel(
        id=model.id,
        haystack=haystack,
        id_lower=id_lower,
        tail_lower=tail_lower,
        name_lower=(name or "").lower(),
        words_id=words[0],
        words_tail=normalize_words(tail_lower),
        words_name=words[1],
        words_all="\n".join(words),
        parameters=None if params is None else frozenset(param.lower() for param in params),
        created=created_of(model),
        provider=model.id.split("/", 1)[0].lower() if "/" in model.id else (model.owned_by or "").lower(),
        context_length=model.context_length,
        prompt_price=price_per_thousand(pricing.get("prompt")),
        completion_price=price_per_thousand(pricing.get("completion")),
        capabilities=capabilities,
        summary=summary,
        entry=model,
    )


def parse_model_list(payload: Any) -> list[CatalogModel]:
    """Entries of a `{"data": [...]}` list (OpenRouter old and new shapes, OpenAI, Anthropic); bad ones skipped."""
    data = as_dict(payload).get("data") if isinstance(payload, dict) else payload
    if not isinstance(data, list):
        raise UpstreamProtocolError('the model list is not of the form {"data": [...]}')
    models: list[CatalogModel] = []
    skipped = 0
    for item in as_list(data):
        try:
            models.append(CatalogModel.model_validate(item))
        except ValidationError:
            skipped += 1
    if skipped:
        logger.warning("skipped %d model list entries without a usable id", skipped)
    return models


class CatalogIndex:
    """An immutable view of one catalog fetch."""

    def __init__(self, models: list[CatalogModel]) -> None:
        self.rows = [index_model(model) for model in models]
        self.by_id = {row.id: row for row in self.rows}
        self._by_lower_id = {row.id.lower(): row for row in self.rows}
        self._orders = sort_orders(self.rows)

    def find(self, model_id: str) -> IndexedModel:
        """Exact id, then without a routing suffix (`:nitro`, `:floor`, ...), then case-insensitively."""
        wanted = model_id.strip()
        row = self.by_id.get(wanted)
        if row is None:
            for suffix in ROUTING_SUFFIXES:
                if wanted.endswith(suffix):
                    row = self.by_id.get(wanted[: -len(suffix)])
                    break
        if row is None:
            row = self._by_lower_id.get(wanted.lower())
        if row is None:
            raise ModelNotFound(model_id)
        return row

    def search(self, args: SearchArgs) -> tuple[list[dict[str, Any]], int]:
        """The matching summaries (at most `args.limit`, in SPEC §8's order) and how many matched in all."""
        query = TextQuery.parse(args.query)
        keep = _filters(args)
        limit = args.limit
        matches: list[dict[str, Any]] = []
        count = 0
        if query is None or args.sort is not None:
            for row in self._orders[args.sort] if args.sort is not None else self.rows:
                if (query is not None and not query.matches(row)) or (keep is not None and not keep(row)):
                    continue
                count += 1
                if len(matches) < limit:
                    matches.append(row.summary)
            return matches, count
        tiers: list[list[IndexedModel]] = [[] for _ in range(TIERS)]
        for row in self.rows:
            tier = query.tier(row)
            if tier is not None and (keep is None or keep(row)):
                tiers[tier].append(row)
        for rows in tiers:
            count += len(rows)
            matches.extend(row.summary for row in rows[: limit - len(matches)])
        return matches, count


def _filters(args: SearchArgs) -> Callable[[IndexedModel], bool] | None:
    """Every filter but the text query, as one predicate over an indexed model; None when there is none."""
    provider = args.provider.strip().lower() if args.provider else None
    wanted_caps = [name for name, on in (args.capabilities.model_dump() if args.capabilities else {}).items() if on]
    max_prompt = Decimal(str(args.maxPromptPrice)) if args.maxPromptPrice is not None else None
    max_completion = Decimal(str(args.maxCompletionPrice)) if args.maxCompletionPrice is not None else None
    min_context, max_context = args.minContextLength, args.maxContextLength
    parameters = frozenset(name.strip().lower() for name in args.supported_parameters or ())
    if not (wanted_caps or parameters) and all(
        bound is None for bound in (provider, max_prompt, max_completion, min_context, max_context)
    ):
        return None

    def keep(row: IndexedModel) -> bool:
        if provider is not None and row.provider != provider:
            return False
        context = row.context_length
        if min_context is not None and (context is None or context < min_context):
            return False
        if max_context is not None and (context is None or context > max_context):
            return False
        if max_prompt is not None and (row.prompt_price is None or row.prompt_price > max_prompt):
            return False
        if max_completion is not None and (row.completion_price is None or row.completion_price > max_completion):
            return False
        if wanted_caps and not all(row.capabilities.get(name) for name in wanted_caps):
            return False
        return not parameters or (row.parameters is not None and parameters <= row.parameters)

    return keep


def model_info(row: IndexedModel) -> dict[str, Any]:
    """The original's `get_model_info` shape, plus the rest of the catalog entry."""
    entry = row.entry
    info: dict[str, Any] = {
        "id": entry.id,
        "object": "model",
        "created": created_of(entry),
        "owned_by": entry.owned_by or (entry.id.split("/", 1)[0] if "/" in entry.id else None),
        "permission": [],
        "root": entry.id,
        "parent": None,
        "data": row.summary,
    }
    details = entry.model_dump(exclude_none=False)
    for key, value in details.items():
        if key in _SUMMARY_KEYS or key in info:
            continue
        if key in {"display_name", "created_at"} and value is None:
            continue
        info[key] = value
    if entry.pricing is not None:
        info["pricing_per_token"] = entry.pricing
    return info


class Catalog:
    """TTL-cached catalog with a single-flight refresh."""

    def __init__(
        self,
        fetch: Callable[[], Any],
        *,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
        models_url: str = "",
    ) -> None:
        self._fetch = fetch
        self._cache: TTLCache[str, CatalogIndex] = TTLCache(maxsize=1, ttl=ttl, timer=clock)
        self._lock = anyio.Lock()
        self._models_url = models_url

    def cached(self) -> CatalogIndex | None:
        """The list if it is cached, without fetching (the ledger's price estimates use it)."""
        return self._cache.get("index")

    async def index(self) -> CatalogIndex:
        current = self._cache.get("index")
        if current is not None:
            return current
        async with self._lock:
            current = self._cache.get("index")
            if current is not None:
                return current
            try:
                payload = await self._fetch()
            except UpstreamStatusError as exc:
                if exc.status in (404, 405):
                    raise UpstreamStatusError(
                        exc.status,
                        f"this endpoint has no model list at {self._models_url or 'GET /models'} "
                        f"({exc.upstream_message})",
                    ) from None
                raise
            built = CatalogIndex(parse_model_list(payload))
            if built.rows:
                self._cache["index"] = built
            return built


def applied_filters(args: SearchArgs) -> Mapping[str, Any]:
    """The filters a search used, as the caller gave them."""
    return args.model_dump(exclude_none=True, exclude={"limit"}) | {"limit": args.limit}
