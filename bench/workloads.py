"""The workloads: what each phase does to one server, and the in-process cost of one search.

Each phase method takes a `Target`, spawns a fresh process of it (except cold start, which spawns
many), runs its workload and returns a `Sample`: named values and an error count. `run.py` decides
the order (interleaved across targets) and `report.py` turns the samples into a table.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from harness import BENCH_DIR, BenchError, Session, Target, percentile
from upstream import UpstreamControl

CHAT_ARGS: dict[str, Any] = {
    "model": "openai/gpt-4o-mini",
    "messages": [{"role": "user", "content": "Reply with the single word: ok"}],
}
SEARCH_QUERIES: list[dict[str, Any]] = [
    {"query": "claude"},
    {"capabilities": {"vision": True}},
    {"minContextLength": 100000},
    {"query": "gpt", "capabilities": {"tools": True}, "limit": 5},
    {"provider": "google", "maxPromptPrice": 0.001},
    {"maxPromptPrice": 0},
    {"query": "instruct", "maxContextLength": 131072},
    {"capabilities": {"vision": True, "json_mode": True}, "minContextLength": 100000, "limit": 20},
    {"query": "reasoning", "provider": "qwen"},
    {"maxCompletionPrice": 0.002, "capabilities": {"functions": True}},
]


@dataclass
class Config:
    reps: int
    cold_spawns: int
    seq_calls: int
    burst_calls: int
    burst_delay: float
    search_calls: int
    session_seq_calls: int
    inprocess_calls: int


@dataclass
class Sample:
    values: dict[str, float]
    errors: int = 0


Runner = Callable[[Target], Awaitable[Sample]]


class Workloads:
    def __init__(self, config: Config, upstream: UpstreamControl, env: dict[str, str], cwd: str) -> None:
        self.config = config
        self.upstream = upstream
        self.env = env
        self.cwd = cwd

    async def started(self, target: Target) -> Session:
        session = Session(target, self.env, self.cwd)
        await session.spawn()
        try:
            await session.initialize()
        except BaseException:
            await session.kill()
            raise
        return session

    async def one_spawn(self, target: Target) -> tuple[float, float, float] | None:
        """Spawn, initialize, list tools, close; seconds from spawn to each answer, or None on failure."""
        session = Session(target, self.env, self.cwd)
        await session.spawn()
        try:
            times = await session.initialize()
        except (BenchError, asyncio.TimeoutError) as exc:
            session.note(f"[bench] cold start: {exc}")
            await session.kill()
            return None
        _elapsed, clean = await session.close()
        return times if clean else None

    async def cold_start(self, targets: list[Target]) -> list[Sample]:
        """`cold_spawns` spawns of each target, alternating target by target; medians per target."""
        times: list[list[tuple[float, float, float]]] = [[] for _ in targets]
        errors = [0 for _ in targets]
        for _ in range(self.config.cold_spawns):
            for i, target in enumerate(targets):
                result = await self.one_spawn(target)
                if result is None:
                    errors[i] += 1
                else:
                    times[i].append(result)
        samples: list[Sample] = []
        for i in range(len(targets)):
            values: dict[str, float] = {}
            if times[i]:
                values = {
                    "init": statistics.median(t[0] for t in times[i]),
                    "list": statistics.median(t[1] for t in times[i]),
                    "cpu": statistics.median(t[2] for t in times[i]),
                }
            samples.append(Sample(values, errors[i]))
        return samples

    async def chat_sequential(self, target: Target) -> Sample:
        session = await self.started(target)
        errors = 0
        try:
            _warm, ok = await session.call_tool("chat_completion", CHAT_ARGS)
            errors += 0 if ok else 1
            latencies: list[float] = []
            cpu_before = session.cpu_seconds()
            for _ in range(self.config.seq_calls):
                elapsed, ok = await session.call_tool("chat_completion", CHAT_ARGS)
                latencies.append(elapsed)
                errors += 0 if ok else 1
            cpu = (session.cpu_seconds() - cpu_before) / self.config.seq_calls
        finally:
            _elapsed, clean = await session.close()
        errors += 0 if clean else 1
        return Sample({"p50": percentile(latencies, 50), "p99": percentile(latencies, 99), "cpu": cpu}, errors)

    async def chat_burst(self, target: Target) -> Sample:
        """`burst_calls` chat calls written at once, the upstream answering each after `burst_delay`.

        Besides the wall time, records the most requests the upstream held at once in this burst: with
        all of them in flight together the burst costs one upstream delay, not several.
        """
        session = await self.started(target)
        errors = 0
        try:
            _warm, ok = await session.call_tool("chat_completion", CHAT_ARGS)
            errors += 0 if ok else 1
            await self.upstream.set_delay(self.config.burst_delay)
            await self.upstream.reset_peak()
            try:
                started = time.perf_counter()
                results = await asyncio.gather(
                    *(session.call_tool("chat_completion", CHAT_ARGS) for _ in range(self.config.burst_calls))
                )
                wall = time.perf_counter() - started
            finally:
                await self.upstream.set_delay(0.0)
            peak = (await self.upstream.stats())["max_in_flight"]
            errors += sum(1 for _elapsed, ok in results if not ok)
        finally:
            _elapsed, clean = await session.close()
        errors += 0 if clean else 1
        return Sample({"wall": wall, "in_flight": float(peak)}, errors)

    async def search_warm(self, target: Target) -> Sample:
        session = await self.started(target)
        errors = 0
        try:
            _warm, ok = await session.call_tool("search_models", {"query": "claude"})
            errors += 0 if ok else 1
            latencies: list[float] = []
            cpu_before = session.cpu_seconds()
            for i in range(self.config.search_calls):
                elapsed, ok = await session.call_tool("search_models", SEARCH_QUERIES[i % len(SEARCH_QUERIES)])
                latencies.append(elapsed)
                errors += 0 if ok else 1
            cpu = (session.cpu_seconds() - cpu_before) / self.config.search_calls
        finally:
            _elapsed, clean = await session.close()
        errors += 0 if clean else 1
        return Sample({"p50": percentile(latencies, 50), "cpu": cpu}, errors)

    async def memory_and_exit(self, target: Target) -> Sample:
        """Idle RSS after initialize + warm-up, then a mixed workload, peak RSS, and exit time."""
        session = await self.started(target)
        errors = 0
        try:
            for name, arguments in (("chat_completion", CHAT_ARGS), ("search_models", {"query": "claude"})):
                _elapsed, ok = await session.call_tool(name, arguments)
                errors += 0 if ok else 1
            await asyncio.sleep(0.2)
            idle = session.memory_kb("VmRSS")
            await self.upstream.set_delay(self.config.burst_delay)
            try:
                results = await asyncio.gather(
                    *(session.call_tool("chat_completion", CHAT_ARGS) for _ in range(self.config.burst_calls))
                )
            finally:
                await self.upstream.set_delay(0.0)
            errors += sum(1 for _elapsed, ok in results if not ok)
            for i in range(self.config.session_seq_calls):
                _elapsed, ok = await session.call_tool("chat_completion", CHAT_ARGS)
                errors += 0 if ok else 1
                _elapsed, ok = await session.call_tool("search_models", SEARCH_QUERIES[i % len(SEARCH_QUERIES)])
                errors += 0 if ok else 1
            peak = session.memory_kb("VmHWM")
        except BaseException:
            await session.kill()
            raise
        exit_time, clean = await session.close()
        errors += 0 if clean else 1
        return Sample({"idle_mb": idle / 1024, "peak_mb": peak / 1024, "exit": exit_time}, errors)


# --------------------------------------------------------------------------------------------
# In-process server-side cost of one search_models call (no MCP transport, no event loop)
# --------------------------------------------------------------------------------------------


def _drive(coroutine: Any) -> Any:
    """Run a coroutine that never suspends (its awaits all complete at once) without an event loop."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise BenchError("the coroutine suspended; it is not purely in-process")


def project_search_fn(catalog: dict[str, Any]) -> Callable[[dict[str, Any]], Any]:
    """The project's own search_models body (argument validation, filter, envelope), fed the same catalog."""
    from types import SimpleNamespace

    from openrouterai_mcp.catalog import CatalogIndex, parse_model_list
    from openrouterai_mcp.envelope import guarded
    from openrouterai_mcp.schemas import SearchArgs
    from openrouterai_mcp.tools.base import parse_arguments
    from openrouterai_mcp.tools.catalog import _search  # pyright: ignore[reportPrivateUsage]

    index = CatalogIndex(parse_model_list(catalog))

    async def cached_index() -> Any:
        return index

    state = SimpleNamespace(catalog=SimpleNamespace(index=cached_index))

    def one(raw: dict[str, Any]) -> Any:
        async def call() -> Any:
            return await _search(state, parse_arguments(SearchArgs, raw))  # type: ignore[arg-type]

        result = _drive(guarded(call, tool="search_models", secret="sk-bench"))
        if result.is_error:
            raise BenchError(f"search_models failed in-process: {result.content}")
        return result

    return one


def floor_search_fn(catalog: dict[str, Any]) -> Callable[[dict[str, Any]], Any]:
    sys.path.insert(0, str(BENCH_DIR))
    from floor_server import naive_search

    models = catalog["data"]
    return lambda raw: json.dumps(naive_search(models, raw), indent=2)


def inprocess_p50(fn: Callable[[dict[str, Any]], Any], calls: int) -> float:
    fn(SEARCH_QUERIES[0])
    timings: list[float] = []
    for i in range(calls):
        raw = SEARCH_QUERIES[i % len(SEARCH_QUERIES)]
        started = time.perf_counter()
        fn(raw)
        timings.append(time.perf_counter() - started)
    return percentile(timings, 50)
