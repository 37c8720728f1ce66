"""Benchmark: the installed `openrouterai-mcp` server against a minimal "floor" MCP server, on both loops.

Run from the repository root:  uv run python bench/run.py  [--reps N] [--quick]

Four servers are measured in one interleaved run: the floor and the project, each on stock asyncio and
on uvloop. All are spawned over stdio against a loopback fake of the OpenRouter API (bench/upstream.py,
a child process serving a synthetic catalog in the real OpenRouter shape) and spoken to in raw
newline-delimited JSON-RPC (bench/harness.py). Each phase (bench/workloads.py) runs every server once
per repetition, in a rotating order, each in a fresh process; the table (bench/report.py) gives the
median of the repetitions, their spread and the ratios the goals use. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time

from catalog import make_catalog
from harness import BenchError, Target, server_env, targets
from report import (
    FLOOR_ASYNCIO,
    OURS_ASYNCIO,
    Row,
    column_values,
    errors_of,
    log,
    log_sample,
    med,
    print_goals,
    print_table,
)
from upstream import UpstreamControl
from workloads import Config, Runner, Sample, Workloads, floor_search_fn, inprocess_p50, project_search_fn

QUICK = Config(
    reps=1,
    cold_spawns=3,
    seq_calls=50,
    burst_calls=64,
    burst_delay=0.2,
    search_calls=50,
    session_seq_calls=10,
    inprocess_calls=200,
)
FULL = Config(
    reps=3,
    cold_spawns=10,
    seq_calls=200,
    burst_calls=64,
    burst_delay=0.2,
    search_calls=200,
    session_seq_calls=50,
    inprocess_calls=1000,
)


def rotated(items: list[Target], by: int) -> list[Target]:
    """The targets in a different order each repetition, so no server always runs first or last."""
    by %= len(items)
    return items[by:] + items[:by]


async def interleaved(title: str, runner: Runner, servers: list[Target], reps: int) -> dict[str, list[Sample]]:
    results: dict[str, list[Sample]] = {target.name: [] for target in servers}
    for rep in range(reps):
        for target in rotated(servers, rep):
            try:
                sample = await runner(target)
            except (BenchError, asyncio.TimeoutError, OSError) as exc:
                target.stderr_lines += 1
                if len(target.stderr_sample) < 8:
                    target.stderr_sample.append(f"[bench] {title}: {type(exc).__name__} {exc}")
                sample = Sample({}, errors=1)
            results[target.name].append(sample)
            log_sample(title, rep, reps, target.name, sample)
    return results


async def cold_start_rows(work: Workloads, servers: list[Target], config: Config) -> list[Row]:
    results: dict[str, list[Sample]] = {target.name: [] for target in servers}
    for rep in range(config.reps):
        order = rotated(servers, rep)
        for target, sample in zip(order, await work.cold_start(order), strict=True):
            results[target.name].append(sample)
            log_sample("cold", rep, config.reps, target.name, sample)
    rows: list[Row] = []
    for key, label in (("init", "cold start: spawn → initialize"), ("list", "cold start: spawn → tools/list")):
        rows.append(
            Row(
                label,
                "ms",
                column_values(results, key, 1000),
                errors_of(results),
                "≤ 1.10x floor/asyncio",
                lambda ours, floor: ours <= 1.10 * floor,
            )
        )
    rows.append(Row("cold start: server CPU by tools/list (load-proof)", "ms", column_values(results, "cpu", 1000)))
    return rows


async def chat_rows(work: Workloads, servers: list[Target], config: Config) -> list[Row]:
    log(f"[2/6] {config.seq_calls} sequential chat_completion calls, upstream instant")
    seq = await interleaved("chat", work.chat_sequential, servers, config.reps)
    log(f"[3/6] {config.burst_calls} concurrent chat_completion calls, upstream delay {config.burst_delay * 1000:g} ms")
    burst = await interleaved("burst", work.chat_burst, servers, config.reps)
    calls = config.burst_calls
    return [
        Row(
            "chat_completion p50",
            "ms",
            column_values(seq, "p50", 1000),
            errors_of(seq),
            "≤ 0.85x floor/asyncio",
            lambda ours, floor: ours <= 0.85 * floor,
        ),
        Row(
            "chat_completion p99",
            "ms",
            column_values(seq, "p99", 1000),
            None,
            "≤ 1.0x floor/asyncio",
            lambda ours, floor: ours <= floor,
        ),
        Row("chat_completion server CPU/call", "ms", column_values(seq, "cpu", 1000)),
        Row(
            f"{calls} x {config.burst_delay * 1000:g} ms chat burst, wall",
            "s",
            column_values(burst, "wall"),
            errors_of(burst),
            "≤ 0.85x floor/asyncio",
            lambda ours, floor: ours <= 0.85 * floor,
        ),
        Row(
            "  requests in flight at the upstream at once (min over reps)",
            "",
            {name: [min(found)] if found else [] for name, found in column_values(burst, "in_flight").items()},
            None,
            f"= {calls}",
            lambda ours, _floor: ours >= calls,
            ratios=False,
        ),
    ]


async def search_rows(work: Workloads, servers: list[Target], config: Config) -> tuple[list[Row], str]:
    log(f"[4/6] {config.search_calls} warm search_models calls")
    search = await interleaved("search", work.search_warm, servers, config.reps)
    rows = [
        Row(
            "search_models p50, client round trip",
            "ms",
            column_values(search, "p50", 1000),
            errors_of(search),
            "≤ 0.8x floor/asyncio",
            lambda ours, floor: ours <= 0.8 * floor,
        ),
        Row("search_models server CPU/call", "ms", column_values(search, "cpu", 1000)),
    ]
    catalog = make_catalog()
    server_side: dict[str, list[float]] = {OURS_ASYNCIO: [], FLOOR_ASYNCIO: []}
    try:
        ours_fn, floor_fn = project_search_fn(catalog), floor_search_fn(catalog)
        for rep in range(config.reps):
            server_side[OURS_ASYNCIO].append(inprocess_p50(ours_fn, config.inprocess_calls) * 1000)
            server_side[FLOOR_ASYNCIO].append(inprocess_p50(floor_fn, config.inprocess_calls) * 1000)
            log(
                f"  search in-process rep {rep + 1}/{config.reps} "
                f"ours={server_side[OURS_ASYNCIO][-1]:.3f}ms floor={server_side[FLOOR_ASYNCIO][-1]:.3f}ms"
            )
    except Exception as exc:
        return rows, f"search_models server-side: not measured ({type(exc).__name__}: {exc})"
    ours, floor = med(server_side[OURS_ASYNCIO]), med(server_side[FLOOR_ASYNCIO])
    return rows, (
        f"search_models server-side (the tool body in-process: validate, filter, JSON envelope; no transport, "
        f"no loop): ours {ours:.3f} ms, floor {floor:.3f} ms, {ours / floor:.2f}x"
    )


async def memory_rows(work: Workloads, servers: list[Target], config: Config) -> list[Row]:
    log("[5/6 + 6/6] idle RSS, peak RSS, exit after stdin EOF")
    mem = await interleaved("memory", work.memory_and_exit, servers, config.reps)
    return [
        Row(
            "idle RSS",
            "MB",
            column_values(mem, "idle_mb"),
            errors_of(mem),
            "≤ floor/asyncio + 6 MB",
            lambda ours, floor: ours <= floor + 6,
        ),
        Row("peak RSS (VmHWM)", "MB", column_values(mem, "peak_mb")),
        Row(
            "exit after stdin EOF",
            "ms",
            column_values(mem, "exit", 1000),
            None,
            "≤ 50 ms",
            lambda ours, _floor: ours <= 50,
        ),
    ]


async def main_async(config: Config) -> int:
    started = time.perf_counter()
    upstream = await UpstreamControl.start()
    workdir = tempfile.mkdtemp(prefix="openrouterai-mcp-bench-")  # no stray .env is read from here
    servers = targets()
    work = Workloads(config, upstream, server_env(upstream.base_url), workdir)
    log(f"upstream: {upstream.base_url} ({upstream.models} models); reps={config.reps}")
    for target in servers:
        log(f"{target.name:<13} {' '.join(f'{k}={v}' for k, v in target.env.items())} {' '.join(target.argv)}")
    rows: list[Row] = []
    try:
        # One discarded spawn each, so bytecode compilation and a cold page cache are not measured.
        for target in servers:
            session = await work.started(target)
            await session.close()
        log(f"[1/6] cold start ({config.cold_spawns} spawns of each per repetition, alternating)")
        rows += await cold_start_rows(work, servers, config)
        rows += await chat_rows(work, servers, config)
        search, search_note = await search_rows(work, servers, config)
        rows += search
        rows += await memory_rows(work, servers, config)
        stats = await upstream.stats()
    finally:
        await upstream.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        f"openrouterai-mcp benchmark: project vs floor on asyncio and uvloop, {config.reps} interleaved "
        f"repetition(s), {upstream.models} models, Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print()
    print_table(rows)
    print()
    print_goals(rows)
    print()
    print("median [min-max] over the repetitions. The machine may be shared: read the spread before a ratio.")
    print("server CPU/call: the server process's user+system time over the phase / calls (10 ms clock ticks).")
    print(search_note)
    total_errors = sum(sum(row.errors.values()) for row in rows if row.errors is not None)
    print(f"errors: {total_errors} in all (a JSON-RPC error, an isError result, a timeout or an unclean exit each)")
    print(
        f"upstream saw: {stats['models']} catalog fetches, {stats['chat']} chat requests, "
        f"{stats['connections']} connections, {stats['other']} unexpected requests"
    )
    for target in servers:
        if target.stderr_lines:
            print(f"{target.name} wrote {target.stderr_lines} stderr line(s), first ones:")
            for line in target.stderr_sample:
                print(f"    {line[:300]}")
    misses = [row.label for row in rows if row.verdict() == "MISS"]
    print(f"goals missed: {', '.join(misses) if misses else 'none'}")
    print(f"total time {time.perf_counter() - started:.1f} s")
    return 1 if total_errors else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=None, help="interleaved repetitions per phase (default 3)")
    parser.add_argument("--quick", action="store_true", help="fast smoke run: 1 repetition and fewer calls")
    options = parser.parse_args()
    config = QUICK if options.quick else FULL
    if options.reps is not None:
        if options.reps < 1:
            parser.error("--reps must be at least 1")
        config.reps = options.reps
    sys.exit(asyncio.run(main_async(config)))


if __name__ == "__main__":
    main()
