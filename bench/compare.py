"""Bench for issue "Pick and compare": compare_models fan-out and search_models sorting.

    uv run python bench/compare.py            # 7 repetitions of each compare phase, 400 searches per variant
    uv run python bench/compare.py --quick    # 3 repetitions, 100 searches
    uv run python bench/compare.py --catalog models.json   # search a saved GET /models answer instead

1. compare_models over 8 models vs one chat_completion, with every upstream answer delayed 200 ms:
   the installed server over stdio (the SDK's client), against the fake OpenRouter of the tests on
   127.0.0.1. Alternating calls, medians. Goal: compare wall time <= 1.3 x one chat_completion.
2. search_models with `sort` vs without, server-side (argument parsing, the search over a cached
   414-model catalog, the JSON envelope), in process. Goal: a sorted search within 2 x an unsorted one.

Prints numbers only; nothing is asserted (speed targets never live in the test run).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fake_upstream import CHAT, FakeUpstream, Reply, completion

DELAY = 0.2
MODELS = [f"bench/model-{n}" for n in range(8)]
USER = [{"role": "user", "content": "Say hello"}]
CATALOG_SIZE = 414


# --- 1. compare vs chat -----------------------------------------------------------------------------------


def server_params(base_url: str) -> StdioServerParameters:
    script = Path(sys.executable).with_name("openrouterai-mcp")
    return StdioServerParameters(
        command=str(script),
        args=[],
        env={"OPENROUTER_API_KEY": "sk-bench-0123456789", "OPENROUTER_BASE_URL": base_url},
        cwd=tempfile.gettempdir(),
    )


async def timed(client: Client, tool: str, arguments: dict[str, Any]) -> float:
    started = time.perf_counter()
    result = await client.call_tool(tool, arguments)
    elapsed = time.perf_counter() - started
    if result.is_error:
        raise SystemExit(f"{tool} failed: {result.content}")
    return elapsed


async def compare_phase(reps: int) -> tuple[list[float], list[float]]:
    chat_times: list[float] = []
    compare_times: list[float] = []
    with FakeUpstream() as upstream:
        answer = Reply(json=completion(), delay=DELAY)
        upstream.script("POST", CHAT, *([answer] * ((reps + 1) * (len(MODELS) + 1))))
        with tempfile.TemporaryFile("w") as errlog:  # the server's stderr, unread unless debugging
            async with Client(stdio_client(server_params(upstream.base_url), errlog=errlog)) as client:
                # Warm-up: imports, connections.
                await timed(client, "chat_completion", {"messages": USER, "model": MODELS[0]})
                await timed(client, "compare_models", {"messages": USER, "models": MODELS})
                for _ in range(reps):
                    chat_times.append(await timed(client, "chat_completion", {"messages": USER, "model": MODELS[0]}))
                    compare_times.append(await timed(client, "compare_models", {"messages": USER, "models": MODELS}))
        if upstream.max_in_flight < len(MODELS):
            raise SystemExit(f"the upstream saw at most {upstream.max_in_flight} requests at once")
    return chat_times, compare_times


# --- 2. search with and without sort ----------------------------------------------------------------------

_FAMILIES = ["gpt", "claude", "gemini", "llama", "qwen", "mistral", "deepseek", "grok", "phi", "command"]
_PARAMS = ["max_tokens", "temperature", "top_p", "stop", "tools", "tool_choice", "response_format", "reasoning"]


def synthetic_catalog(size: int = CATALOG_SIZE, seed: int = 8) -> dict[str, Any]:
    """`size` models in OpenRouter's shape: varied prices (some free, some variable), contexts and dates."""
    rng = random.Random(seed)
    data: list[dict[str, Any]] = []
    for n in range(size):
        family = rng.choice(_FAMILIES)
        model_id = (
            f"{family}-lab/{family}-{rng.randint(1, 5)}.{rng.randint(0, 9)}-{rng.choice(['mini', 'pro', 'x'])}-{n}"
        )
        roll = rng.random()
        prompt = "-1" if roll < 0.01 else "0" if roll < 0.1 else f"{rng.uniform(0.00000002, 0.00002):.10f}"
        completion_price = prompt if prompt in ("-1", "0") else f"{float(prompt) * rng.uniform(2, 6):.10f}"
        data.append(
            {
                "id": model_id,
                "name": f"{family.title()} Lab: {model_id.split('/')[1].replace('-', ' ').title()}",
                "created": 1_700_000_000 + rng.randint(0, 60_000_000),
                "description": " ".join(
                    rng.choice([*_FAMILIES, "fast", "reasoning", "vision", "code"]) for _ in range(60)
                ),
                "context_length": rng.choice([8_192, 32_768, 131_072, 200_000, 1_048_576]),
                "architecture": {
                    "input_modalities": rng.choice([["text"], ["text", "image"]]),
                    "output_modalities": ["text"],
                },
                "pricing": {"prompt": prompt, "completion": completion_price},
                "supported_parameters": rng.sample(_PARAMS, rng.randint(2, len(_PARAMS))),
            }
        )
    return {"data": data}


SEARCHES: list[dict[str, Any]] = [
    {},
    {"query": "claude"},
    {"query": "gpt 4 mini"},
    {"capabilities": {"vision": True}, "minContextLength": 100_000},
    {"maxPromptPrice": 0.001, "supported_parameters": ["tools"]},
    {"limit": 50},
]


def search_phase(calls: int, catalog: dict[str, Any]) -> dict[str, float]:
    from openrouterai_mcp.catalog import CatalogIndex, parse_model_list
    from openrouterai_mcp.envelope import success
    from openrouterai_mcp.schemas import SearchArgs
    from openrouterai_mcp.tools.base import parse_arguments

    index = CatalogIndex(parse_model_list(catalog))

    def server_side(raw: dict[str, Any]) -> None:
        args = parse_arguments(SearchArgs, raw)
        matches, count = index.search(args)
        success({"data": matches, "metadata": {"total_models": len(index.rows), "filtered_count": count}})

    medians: dict[str, float] = {}
    for sort in (None, "price", "context", "newest"):
        variant = [search | ({"sort": sort} if sort else {}) for search in SEARCHES]
        for raw in variant:
            server_side(raw)
        timings: list[float] = []
        for n in range(calls):
            raw = variant[n % len(variant)]
            started = time.perf_counter()
            server_side(raw)
            timings.append(time.perf_counter() - started)
        medians[sort or "unsorted"] = statistics.median(timings)
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--catalog", type=Path, help="a saved GET /models answer (default: a synthetic one)")
    options = parser.parse_args()
    catalog = json.loads(options.catalog.read_text()) if options.catalog else synthetic_catalog()
    reps, calls = (3, 100) if options.quick else (7, 400)

    chat_times, compare_times = anyio.run(compare_phase, reps)
    chat, fanned = statistics.median(chat_times), statistics.median(compare_times)
    print(f"compare_models, {len(MODELS)} models, upstream {DELAY * 1000:.0f} ms ({reps} reps, medians)")
    for label, times, median in (("one chat_completion", chat_times, chat), ("compare_models", compare_times, fanned)):
        spread = f"min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}"
        print(f"  {label:<20} {median * 1000:7.1f} ms  ({spread})")
    print(f"  ratio                {fanned / chat:7.2f} x   (goal <= 1.30)")

    medians = search_phase(calls, catalog)
    base = medians["unsorted"]
    size = len(catalog["data"])
    print(f"search_models server-side, {size} models, {len(SEARCHES)} searches ({calls} calls each, p50)")
    for name, value in medians.items():
        print(f"  {name:<10} {value * 1e3:6.3f} ms   {value / base:5.2f} x unsorted   (goal <= 2.00)")


if __name__ == "__main__":
    main()
