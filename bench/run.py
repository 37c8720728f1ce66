"""Benchmark: the installed `openrouterai-mcp` server against a minimal "floor" MCP server.

Run from the repository root:  uv run python bench/run.py  [--reps N] [--quick]

Both servers are spawned over stdio against a loopback fake of the OpenRouter API (started by this
script in a child process, with a synthetic catalog in the real OpenRouter shape) and spoken to in
raw newline-delimited JSON-RPC. Every phase alternates project and floor runs, each in a fresh
process, and the table on stdout gives the median of the repetitions, their spread (min-max) and
the project/floor ratio. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve()
BENCH_DIR = SCRIPT.parent
REPO = BENCH_DIR.parent
PROTOCOL_VERSION = "2025-11-25"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
REQUEST_TIMEOUT = 20.0  # per JSON-RPC request; a server that stops answering is given up on
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
# Variables that would change either server's behaviour if inherited from the caller's shell.
_SCRUBBED_PREFIXES = ("OPENROUTER_", "API_", "DEFAULT_", "ANTHROPIC_", "OPENAI_")
_SCRUBBED = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "PROXY_URL", "REQUEST_TIMEOUT", "DESCRIPTION"}
_SCRUBBED |= {"LOG_LEVEL", "SSL_CERT_FILE", "SSL_CERT_DIR"}
# Interpreter switches that change start-up or run-time cost. Without PYTHONDONTWRITEBYTECODE the discarded
# first spawn writes the bytecode caches, so cold start measures an installed server, not the compiler.
_SCRUBBED |= {"PYTHONDONTWRITEBYTECODE", "PYTHONDEVMODE", "PYTHONTRACEMALLOC", "PYTHONPROFILEIMPORTTIME"}
_SCRUBBED |= {"PYTHONMALLOC", "PYTHONASYNCIODEBUG", "PYTHONWARNINGS", "PYTHONINSPECT", "PYTHONVERBOSE"}
_SCRUBBED |= {"PYTHONUNBUFFERED"}


# --------------------------------------------------------------------------------------------
# Synthetic catalog, in the shape of OpenRouter's GET /api/v1/models
# --------------------------------------------------------------------------------------------

_PROVIDERS: list[tuple[str, str, int, list[str]]] = [
    # (id prefix, display name, how many, families)
    ("openai", "OpenAI", 94, ["gpt-4o", "gpt-4.1", "gpt-5", "o3", "o4", "gpt-oss", "gpt-4-turbo", "codex"]),
    ("qwen", "Qwen", 51, ["qwen3", "qwen3-coder", "qwen2.5", "qwen3-vl", "qwq", "qwen-max"]),
    ("google", "Google", 41, ["gemini-2.5", "gemini-2.0", "gemini-3", "gemma-3", "gemma-2"]),
    ("anthropic", "Anthropic", 28, ["claude-3.5", "claude-3.7", "claude-sonnet-4", "claude-opus-4", "claude-haiku-4"]),
    ("mistralai", "Mistral", 20, ["mistral-large", "mistral-small", "codestral", "pixtral", "ministral", "devstral"]),
    ("deepseek", "DeepSeek", 14, ["deepseek-chat", "deepseek-r1", "deepseek-v3", "deepseek-prover"]),
    ("z-ai", "Z.ai", 14, ["glm-4.5", "glm-4.6", "glm-4.5v", "glm-z1"]),
    ("nvidia", "NVIDIA", 13, ["nemotron-nano", "nemotron-super", "llama-3.1-nemotron"]),
    ("meta-llama", "Meta", 16, ["llama-3.1", "llama-3.3", "llama-4-maverick", "llama-4-scout", "llama-guard"]),
    ("x-ai", "xAI", 10, ["grok-3", "grok-4", "grok-code-fast", "grok-4-fast"]),
    ("minimax", "MiniMax", 9, ["minimax-m1", "minimax-m2", "minimax-01"]),
    ("moonshotai", "MoonshotAI", 8, ["kimi-k2", "kimi-dev", "kimi-vl"]),
    ("cohere", "Cohere", 6, ["command-r", "command-r-plus", "command-a"]),
    ("amazon", "Amazon", 6, ["nova-pro", "nova-lite", "nova-micro", "nova-premier"]),
    ("perplexity", "Perplexity", 6, ["sonar", "sonar-pro", "sonar-reasoning", "sonar-deep-research"]),
    ("bytedance-seed", "ByteDance Seed", 6, ["seed-oss", "seed-1.6"]),
    ("nousresearch", "Nous", 6, ["hermes-3", "hermes-4", "deephermes-3"]),
    ("microsoft", "Microsoft", 6, ["phi-4", "phi-4-reasoning", "mai-ds-r1", "wizardlm-2"]),
    ("thedrummer", "TheDrummer", 5, ["anubis", "cydonia", "skyfall", "rocinante"]),
    ("inclusionai", "inclusionAI", 5, ["ling-1t", "ring-1t", "ling-flash"]),
    ("arcee-ai", "Arcee AI", 5, ["virtuoso-large", "coder-large", "maestro-reasoning", "spotlight"]),
    ("baidu", "Baidu", 5, ["ernie-4.5", "ernie-4.5-vl", "ernie-x1"]),
    ("tencent", "Tencent", 4, ["hunyuan-a13b", "hunyuan-t1"]),
    ("ai21", "AI21", 4, ["jamba-large", "jamba-mini"]),
    ("liquid", "Liquid", 4, ["lfm-7b", "lfm-3b", "lfm2"]),
    ("sao10k", "Sao10K", 4, ["l3.3-euryale", "l3-lunaris", "l3.1-70b-hanami"]),
    ("ibm-granite", "IBM", 3, ["granite-4.0", "granite-3.3"]),
    ("stepfun", "StepFun", 3, ["step-3", "step3-vl"]),
    ("xiaomi", "Xiaomi", 3, ["mimo-v2", "mimo-vl"]),
    ("morph", "Morph", 2, ["morph-v3-fast", "morph-v3-large"]),
    ("aion-labs", "AionLabs", 4, ["aion-1.0", "aion-1.0-mini", "aion-rp-llama-3.1"]),
    ("poolside", "Poolside", 4, ["malibu", "laguna"]),
    ("thinkingmachines", "Thinking Machines", 3, ["tinker-base", "tinker-chat"]),
    ("kwaipilot", "Kwaipilot", 3, ["kat-coder", "kat-dev"]),
    ("upstage", "Upstage", 2, ["solar-pro", "solar-mini"]),
    ("sakana", "Sakana AI", 2, ["tinyswallow", "evollm"]),
    ("rekaai", "Reka", 2, ["reka-flash", "reka-core"]),
    ("relace", "Relace", 2, ["relace-apply", "relace-search"]),
]
_TOKENIZERS = {
    "openai": "GPT",
    "anthropic": "Claude",
    "google": "Gemini",
    "qwen": "Qwen",
    "meta-llama": "Llama3",
    "mistralai": "Mistral",
    "deepseek": "DeepSeek",
    "x-ai": "Grok",
}
_VARIANTS = ["", "-instruct", "-mini", "-pro", "-flash", "-preview", "-thinking", "-chat", "-turbo", "-lite"]
_SIZES = ["", "", "", "-7b", "-8b", "-14b", "-27b", "-32b", "-70b", "-72b", "-120b", "-235b-a22b", "-480b-a35b"]
_CONTEXTS = [8192, 32768, 65536, 128000, 131072, 163840, 200000, 204800, 256000, 262144, 400000, 1000000, 1048576]
_PER_MILLION = [0.02, 0.04, 0.05, 0.08, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.6, 0.8, 1, 1.25, 2, 2.5, 3, 5, 15]
_MODALITIES = [
    (["text"], 40),
    (["text", "image"], 18),
    (["text", "image", "file"], 22),
    (["image", "text"], 6),
    (["text", "image", "video"], 7),
    (["text", "image", "file", "audio", "video"], 5),
    (["text", "file"], 2),
]
_SENTENCES = [
    "{name} is a {kind} model from {org}, tuned for instruction following, coding and agentic tool use.",
    "It supports long-context reasoning, structured outputs and multilingual chat across more than 100 languages.",
    "Compared with its predecessor it improves mathematical reasoning and reduces hallucinations on knowledge tasks.",
    "The model is optimised for low latency and high throughput, making it suitable for production workloads.",
    "It accepts images and documents as input and can describe charts, screenshots and scanned pages.",
    "A mixture-of-experts architecture activates only a fraction of its parameters per token.",
    "Reasoning can be switched on or off per request, trading latency for accuracy on hard problems.",
    "It was trained with reinforcement learning from human feedback and extensive safety evaluations.",
    "This variant is an open-weight release under a permissive licence, served by several providers.",
]
_BASE_PARAMS = ["max_tokens", "temperature", "top_p", "stop", "seed"]
_OPTIONAL_PARAMS = [
    (["tools", "tool_choice"], 0.82),
    (["response_format"], 0.85),
    (["structured_outputs"], 0.75),
    (["reasoning", "include_reasoning"], 0.65),
    (["frequency_penalty", "presence_penalty"], 0.55),
    (["top_k", "repetition_penalty", "min_p"], 0.4),
    (["logprobs", "top_logprobs"], 0.35),
    (["logit_bias"], 0.3),
    (["reasoning_effort"], 0.3),
    (["web_search_options"], 0.05),
]


def _per_token(per_million: float) -> str:
    return format((Decimal(str(per_million)) / Decimal(1_000_000)).normalize(), "f")


def _model_entry(rng: random.Random, model_id: str, name: str, org: str, created: int) -> dict[str, Any]:
    prefix = model_id.split("/", 1)[0]
    free = model_id.endswith(":free")
    context = rng.choice(_CONTEXTS)
    inputs = list(rng.choices([m for m, _ in _MODALITIES], weights=[w for _, w in _MODALITIES])[0])
    outputs = ["text"]
    params = list(_BASE_PARAMS)
    for extra, chance in _OPTIONAL_PARAMS:
        if rng.random() < chance:
            params.extend(extra)
    params.sort()
    kind = rng.choice(["dense", "mixture-of-experts", "multimodal", "reasoning", "lightweight", "frontier"])
    sentences = [_SENTENCES[0].format(name=name.split(": ", 1)[-1], kind=kind, org=org)]
    sentences += rng.sample(_SENTENCES[1:], k=3)
    description = " ".join(sentences)
    if len(description) > 220:
        description = description[:217].rstrip() + "..."
    prompt_pm = 0.0 if free else rng.choice(_PER_MILLION)
    pricing: dict[str, str] = {
        "prompt": _per_token(prompt_pm),
        "completion": _per_token(prompt_pm * rng.choice([1, 2, 3, 4, 5, 8])),
    }
    if not free and rng.random() < 0.6:
        pricing["input_cache_read"] = _per_token(prompt_pm / 10)
    if not free and rng.random() < 0.35:
        pricing["web_search"] = "0.01"
    slug_date = time.strftime("%Y%m%d", time.gmtime(created))
    entry: dict[str, Any] = {
        "id": model_id,
        "canonical_slug": f"{model_id.removesuffix(':free')}-{slug_date}",
        "hugging_face_id": f"{org.replace(' ', '')}/{model_id.split('/', 1)[1]}" if rng.random() < 0.4 else None,
        "name": name,
        "created": created,
        "description": description,
        "context_length": context,
        "architecture": {
            "modality": f"{'+'.join(inputs)}->{'+'.join(outputs)}",
            "input_modalities": inputs,
            "output_modalities": outputs,
            "tokenizer": _TOKENIZERS.get(prefix, "Other"),
            "instruct_type": None,
        },
        "pricing": pricing,
        "top_provider": {
            "context_length": context,
            "max_completion_tokens": rng.choice([None, 4096, 8192, 16384, 32768, 65536, 131072]),
            "is_moderated": prefix in {"openai", "anthropic"},
        },
        "per_request_limits": None,
        "supported_parameters": params,
        "default_parameters": {
            "temperature": rng.choice([None, 0.6, 0.7, 1]),
            "top_p": None,
            "frequency_penalty": None,
        },
        "supported_voices": None,
        "knowledge_cutoff": rng.choice([None, "2024-06-30", "2025-01-31"]),
        "expiration_date": None,
        "links": {"details": f"/api/v1/models/{model_id.removesuffix(':free')}-{slug_date}/endpoints"},
    }
    if "reasoning" in params:
        entry["reasoning"] = {
            "mandatory": False,
            "default_enabled": rng.random() < 0.5,
            "supported_efforts": ["high", "medium", "low"],
            "default_effort": "medium",
        }
    return entry


def make_catalog(seed: int = 20251121) -> dict[str, Any]:
    """About 425 models: every provider's families, sizes and variants, some `:free`, plus routers."""
    rng = random.Random(seed)
    data: list[dict[str, Any]] = []
    seen: set[str] = set()
    created = 1_786_700_000
    for prefix, org, count, families in _PROVIDERS:
        made = 0
        while made < count:
            family = rng.choice(families)
            slug = f"{family}{rng.choice(_SIZES)}{rng.choice(_VARIANTS)}"
            model_id = f"{prefix}/{slug}"
            if model_id in seen:
                slug = f"{slug}-{rng.randint(2, 99):02d}"
                model_id = f"{prefix}/{slug}"
                if model_id in seen:
                    continue
            seen.add(model_id)
            pretty = " ".join(part.capitalize() for part in slug.replace("-", " ").split())
            created -= rng.randint(3_000, 400_000)
            data.append(_model_entry(rng, model_id, f"{org}: {pretty}", org, created))
            made += 1
            if made < count and rng.random() < 0.12 and f"{model_id}:free" not in seen:
                seen.add(f"{model_id}:free")
                data.append(_model_entry(rng, f"{model_id}:free", f"{org}: {pretty} (free)", org, created))
                made += 1
    for router_id, router_name in [
        ("openrouter/auto", "Auto Router"),
        ("openrouter/auto-beta", "Auto Router (Beta)"),
        ("openrouter/bodybuilder", "Body Builder (beta)"),
    ]:
        entry = _model_entry(rng, router_id, router_name, "OpenRouter", created)
        entry["pricing"] = {"prompt": "-1", "completion": "-1"}
        entry["context_length"] = 2_000_000
        entry["architecture"]["tokenizer"] = "Router"
        entry["top_provider"] = {"context_length": None, "max_completion_tokens": None, "is_moderated": False}
        data.insert(0, entry)
    rng.shuffle(data)
    data.sort(key=lambda entry: -entry["created"])
    return {"data": data}


# --------------------------------------------------------------------------------------------
# Loopback upstream (a child process: `python bench/run.py --upstream`)
# --------------------------------------------------------------------------------------------

_ANSWERED_BY = {
    "openai/gpt-4o-mini": ("openai/gpt-4o-mini-2024-07-18", "OpenAI"),
    "openrouter/auto": ("anthropic/claude-4.5-sonnet-20250929", "Amazon Bedrock"),
}
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found"}


class Upstream:
    """A tiny asyncio HTTP/1.1 server (keep-alive, Content-Length) faking OpenRouter's API."""

    def __init__(self) -> None:
        self.models_body = json.dumps(make_catalog(), separators=(",", ":")).encode()
        self.delay = 0.0
        self.counts = {"models": 0, "chat": 0, "other": 0, "connections": 0, "max_in_flight": 0}
        self.in_flight = 0
        self.rng = random.Random(7)

    def chat_answer(self, request: dict[str, Any]) -> bytes:
        requested = str(request.get("model") or "openrouter/auto")
        model, provider = _ANSWERED_BY.get(requested, (requested, "Together"))
        now = int(time.time())
        prompt_tokens = 8 + sum(len(str(m.get("content", ""))) // 4 for m in request.get("messages") or [])
        completion_tokens = 2
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        answer = {
            "id": f"gen-{now}-{''.join(self.rng.choices(alphabet, k=20))}",
            "provider": provider,
            "model": model,
            "object": "chat.completion",
            "created": now,
            "choices": [
                {
                    "logprobs": None,
                    "finish_reason": "stop",
                    "native_finish_reason": "stop",
                    "index": 0,
                    "message": {"role": "assistant", "content": "ok", "refusal": None, "reasoning": None},
                }
            ],
            "system_fingerprint": "fp_bench",
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "cost": round(prompt_tokens * 1.5e-7 + completion_tokens * 6e-7, 9),
                "is_byok": False,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "cost_details": {"upstream_inference_cost": None},
                "completion_tokens_details": {"reasoning_tokens": 0, "image_tokens": 0},
            },
        }
        return json.dumps(answer).encode()

    async def route(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        path = path.split("?", 1)[0]
        if method == "GET" and path == "/api/v1/models":
            self.counts["models"] += 1
            return 200, self.models_body
        if method == "POST" and path == "/api/v1/chat/completions":
            self.counts["chat"] += 1
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                return 400, b'{"error":{"code":400,"message":"invalid JSON body"}}'
            if self.delay > 0:
                await asyncio.sleep(self.delay)
            return 200, self.chat_answer(request)
        if method == "POST" and path == "/_bench/delay":
            self.delay = float(json.loads(body)["seconds"])
            return 200, b"{}"
        if method == "GET" and path == "/_bench/stats":
            return 200, json.dumps(self.counts).encode()
        self.counts["other"] += 1
        return 404, b'{"error":{"code":404,"message":"Not Found"}}'

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.counts["connections"] += 1
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                method, target, _version = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while True:
                    header = await reader.readline()
                    if header in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = header.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                body = await reader.readexactly(length) if length else b""
                self.in_flight += 1
                self.counts["max_in_flight"] = max(self.counts["max_in_flight"], self.in_flight)
                try:
                    status, payload = await self.route(method, target, body)
                finally:
                    self.in_flight -= 1
                head = (
                    f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
                    "Content-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n"
                    "Connection: keep-alive\r\n\r\n"
                ).encode()
                writer.write(head + payload)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            writer.close()


async def serve_upstream() -> None:
    upstream = Upstream()
    server = await asyncio.start_server(upstream.handle, "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"{port} {len(json.loads(upstream.models_body)['data'])}\n")
    sys.stdout.flush()
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    # The parent closes our stdin when it is done; that is the signal to stop.
    loop.add_reader(sys.stdin.fileno(), lambda: stop.done() or stop.set_result(None))
    async with server:
        await stop


class UpstreamControl:
    """The parent's handle on the upstream child: its port, its delay knob, its counters."""

    def __init__(self, proc: asyncio.subprocess.Process, port: int, models: int) -> None:
        self.proc = proc
        self.port = port
        self.models = models
        self.base_url = f"http://127.0.0.1:{port}/api/v1"

    @classmethod
    async def start(cls) -> UpstreamControl:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(SCRIPT),
            "--upstream",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert proc.stdout is not None
        port, models = (await asyncio.wait_for(proc.stdout.readline(), 30)).split()
        return cls(proc, int(port), int(models))

    async def _call(self, method: str, path: str, body: bytes = b"") -> Any:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(
            f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        raw = await reader.read()
        writer.close()
        return json.loads(raw.split(b"\r\n\r\n", 1)[1])

    async def set_delay(self, seconds: float) -> None:
        await self._call("POST", "/_bench/delay", json.dumps({"seconds": seconds}).encode())

    async def stats(self) -> dict[str, int]:
        return await self._call("GET", "/_bench/stats")

    async def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 5)
        except asyncio.TimeoutError:
            self.proc.kill()
            await self.proc.wait()


# --------------------------------------------------------------------------------------------
# A raw JSON-RPC client over a server's stdin/stdout
# --------------------------------------------------------------------------------------------


class BenchError(Exception):
    pass


@dataclass
class Target:
    name: str
    argv: list[str]
    stderr_lines: int = 0
    stderr_sample: list[str] = field(default_factory=list)


class Session:
    """One spawned server process and the JSON-RPC conversation with it."""

    def __init__(self, target: Target, env: dict[str, str], cwd: str) -> None:
        self.target = target
        self.env = env
        self.cwd = cwd
        self.next_id = 0
        self.pending: dict[int, asyncio.Future[tuple[float, dict[str, Any]]]] = {}
        self.t_spawn = 0.0
        self.proc: asyncio.subprocess.Process | None = None
        self.reader_task: asyncio.Task[None] | None = None
        self.stderr_task: asyncio.Task[None] | None = None
        self.broken = False

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def spawn(self) -> None:
        self.t_spawn = time.perf_counter()
        self.proc = await asyncio.create_subprocess_exec(
            *self.target.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.env,
            cwd=self.cwd,
            limit=1 << 24,
        )
        self.reader_task = asyncio.create_task(self._read_stdout())
        self.stderr_task = asyncio.create_task(self._read_stderr())

    async def _read_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        try:
            while True:
                line = await self.proc.stdout.readline()
                if not line:
                    break
                received = time.perf_counter()
                try:
                    message = json.loads(line)
                except ValueError:
                    self._note_stderr(f"[non-JSON on stdout] {line[:200]!r}")
                    continue
                if "id" in message and ("result" in message or "error" in message):
                    future = self.pending.pop(message["id"], None)
                    if future is not None and not future.done():
                        future.set_result((received, message))
        finally:
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(BenchError("the server closed its stdout"))
            self.pending.clear()

    async def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        while True:
            line = await self.proc.stderr.readline()
            if not line:
                break
            self._note_stderr(line.decode("utf-8", "replace").rstrip())

    def _note_stderr(self, text: str) -> None:
        self.target.stderr_lines += 1
        if len(self.target.stderr_sample) < 8:
            self.target.stderr_sample.append(text)

    def _write(self, message: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")

    def send_request(self, method: str, params: dict[str, Any] | None = None) -> asyncio.Future[Any]:
        self.next_id += 1
        future: asyncio.Future[tuple[float, dict[str, Any]]] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        self._write(message)
        return future

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self._write(message)

    async def request(self, method: str, params: dict[str, Any] | None = None) -> tuple[float, dict[str, Any]]:
        """(seconds from send to answer, the answer message)."""
        sent = time.perf_counter()
        future = self.send_request(method, params)
        received, message = await asyncio.wait_for(future, REQUEST_TIMEOUT)
        return received - sent, message

    async def initialize(self) -> tuple[float, float]:
        """initialize, notifications/initialized, tools/list; seconds from spawn to each answer."""
        future = self.send_request(
            "initialize",
            {
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "openrouterai-mcp-bench", "version": "1"},
            },
        )
        init_at, init = await asyncio.wait_for(future, REQUEST_TIMEOUT)
        if "result" not in init:
            raise BenchError(f"initialize failed: {init.get('error')}")
        self.notify("notifications/initialized")
        list_at, listed = await asyncio.wait_for(self.send_request("tools/list", {}), REQUEST_TIMEOUT)
        tools = {tool["name"] for tool in listed.get("result", {}).get("tools", [])}
        if not {"chat_completion", "search_models"} <= tools:
            raise BenchError(f"tools/list lacks the benchmarked tools: {listed}")
        return init_at - self.t_spawn, list_at - self.t_spawn

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> tuple[float, bool]:
        """(round-trip seconds, ok) for one tools/call; an isError result or a JSON-RPC error is not ok."""
        if self.broken:
            return float("nan"), False
        try:
            elapsed, message = await self.request("tools/call", {"name": name, "arguments": arguments})
        except (asyncio.TimeoutError, BenchError) as exc:
            # Once a server has stopped answering, the rest of this run fails fast instead of waiting again.
            self.broken = True
            self._note_stderr(f"[bench] {name}: {type(exc).__name__} {exc}")
            return float("nan"), False
        return elapsed, _tool_ok(self, name, message)

    def memory_kb(self, field_name: str) -> int:
        with open(f"/proc/{self.pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
        raise BenchError(f"{field_name} not in /proc/{self.pid}/status")

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far."""
        with open(f"/proc/{self.pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    async def close(self) -> tuple[float, bool]:
        """Close stdin; (seconds until the process exited, exited cleanly with status 0)."""
        assert self.proc is not None and self.proc.stdin is not None
        started = time.perf_counter()
        self.proc.stdin.close()
        clean = True
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except asyncio.TimeoutError:
            self._note_stderr("[bench] the server did not exit within 10 s of stdin EOF; killed")
            self.proc.kill()
            await self.proc.wait()
            clean = False
        elapsed = time.perf_counter() - started
        if self.proc.returncode != 0:
            self._note_stderr(f"[bench] exit status {self.proc.returncode}")
            clean = False
        for task in (self.reader_task, self.stderr_task):
            if task is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, 5)
        return elapsed, clean

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()


def _tool_ok(session: Session, name: str, message: dict[str, Any]) -> bool:
    result = message.get("result")
    if not isinstance(result, dict):
        session._note_stderr(f"[bench] {name}: JSON-RPC error {message.get('error')}")
        return False
    text = "".join(part.get("text", "") for part in result.get("content") or [] if isinstance(part, dict))
    if result.get("isError"):
        session._note_stderr(f"[bench] {name}: isError {text[:300]}")
        return False
    if name == "chat_completion" and '"gen-' not in text:
        session._note_stderr(f"[bench] chat_completion answered without the upstream id: {text[:300]}")
        return False
    return True


# --------------------------------------------------------------------------------------------
# Phases
# --------------------------------------------------------------------------------------------


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


class Bench:
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

    async def one_spawn(self, target: Target) -> tuple[float, float] | None:
        """Spawn, initialize, list tools, close; seconds from spawn to each answer, or None on failure."""
        session = Session(target, self.env, self.cwd)
        await session.spawn()
        try:
            times = await session.initialize()
        except (BenchError, asyncio.TimeoutError) as exc:
            session._note_stderr(f"[bench] cold start: {exc}")
            await session.kill()
            return None
        _elapsed, clean = await session.close()
        return times if clean else None

    async def cold_start(self, targets: tuple[Target, Target]) -> tuple[Sample, Sample]:
        """`cold_spawns` spawns of each, alternating project and floor spawn by spawn; medians per target."""
        times: list[list[tuple[float, float]]] = [[], []]
        errors = [0, 0]
        for _ in range(self.config.cold_spawns):
            for i, target in enumerate(targets):
                result = await self.one_spawn(target)
                if result is None:
                    errors[i] += 1
                else:
                    times[i].append(result)
        samples: list[Sample] = []
        for i in range(2):
            if times[i]:
                values = {
                    "init": statistics.median(t[0] for t in times[i]),
                    "list": statistics.median(t[1] for t in times[i]),
                }
            else:
                values = {}
            samples.append(Sample(values, errors[i]))
        return samples[0], samples[1]

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
        session = await self.started(target)
        errors = 0
        try:
            _warm, ok = await session.call_tool("chat_completion", CHAT_ARGS)
            errors += 0 if ok else 1
            await self.upstream.set_delay(self.config.burst_delay)
            try:
                started = time.perf_counter()
                results = await asyncio.gather(
                    *(session.call_tool("chat_completion", CHAT_ARGS) for _ in range(self.config.burst_calls))
                )
                wall = time.perf_counter() - started
            finally:
                await self.upstream.set_delay(0.0)
            errors += sum(1 for _elapsed, ok in results if not ok)
        finally:
            _elapsed, clean = await session.close()
        errors += 0 if clean else 1
        return Sample({"wall": wall}, errors)

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


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of the answered calls (failed ones are counted as errors instead)."""
    ordered = sorted(value for value in values if value == value)
    if not ordered:
        return float("nan")
    return ordered[max(0, min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1))]


# --------------------------------------------------------------------------------------------
# In-process server-side cost of one search_models call (no MCP transport)
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

    from openrouterai_mcp import tools
    from openrouterai_mcp.catalog import CatalogIndex, parse_model_list
    from openrouterai_mcp.envelope import guarded
    from openrouterai_mcp.schemas import SearchArgs

    index = CatalogIndex(parse_model_list(catalog), time.time())

    async def cached_index() -> Any:
        return index

    state = SimpleNamespace(catalog=SimpleNamespace(index=cached_index))

    def one(raw: dict[str, Any]) -> Any:
        async def call() -> Any:
            return await tools._search(state, tools.parse_arguments(SearchArgs, raw))  # type: ignore[arg-type]

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


# --------------------------------------------------------------------------------------------
# Driver and report
# --------------------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    unit: str  # "ms", "s", "MB"
    project: list[float]
    floor: list[float]
    errors: tuple[int, int] | None
    goal: str = ""
    verdict: str = ""


def project_argv() -> list[str]:
    script = REPO / ".venv" / "bin" / "openrouterai-mcp"
    if script.exists():
        return [str(script)]
    uv = shutil.which("uv")
    if uv is None:
        raise SystemExit("neither .venv/bin/openrouterai-mcp nor uv was found; run `uv sync` first")
    print("note: .venv/bin/openrouterai-mcp is missing; falling back to `uv run` (its overhead is measured)")
    return [uv, "run", "--project", str(REPO), "openrouterai-mcp"]


def floor_argv() -> list[str]:
    python = REPO / ".venv" / "bin" / "python"
    return [str(python if python.exists() else Path(sys.executable)), str(BENCH_DIR / "floor_server.py")]


def server_env(base_url: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key.upper() not in _SCRUBBED and not key.upper().startswith(_SCRUBBED_PREFIXES)
    }
    env.update({"OPENROUTER_API_KEY": "sk-bench", "OPENROUTER_BASE_URL": base_url})
    return env


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def interleaved(
    title: str, runner: Runner, targets: tuple[Target, Target], reps: int
) -> tuple[list[Sample], list[Sample]]:
    project: list[Sample] = []
    floor: list[Sample] = []
    for rep in range(reps):
        for target, into in ((targets[0], project), (targets[1], floor)):
            try:
                sample = await runner(target)
            except (BenchError, asyncio.TimeoutError, OSError) as exc:
                target.stderr_lines += 1
                if len(target.stderr_sample) < 8:
                    target.stderr_sample.append(f"[bench] {title}: {type(exc).__name__} {exc}")
                sample = Sample({}, errors=1)
            into.append(sample)
            log_sample(title, rep, reps, target, sample)
    return project, floor


def log_sample(title: str, rep: int, reps: int, target: Target, sample: Sample) -> None:
    shown = ", ".join(f"{key}={fmt_value(value, key)}" for key, value in sample.values.items())
    log(f"  {title} rep {rep + 1}/{reps} {target.name:<7} {shown}  errors={sample.errors}")


def fmt_value(value: float, key: str) -> str:
    if key.endswith("_mb"):
        return f"{value:.1f}MB"
    if key == "server_ms":
        return f"{value:.3f}ms"
    return f"{value * 1000:.2f}ms"


def _num(value: float, unit: str) -> str:
    if value != value:
        return "n/a"
    if unit == "MB":
        return f"{value:.1f}"
    if unit == "s":
        return f"{value:.3f}"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _cell(values: list[float], unit: str) -> str:
    if not values:
        return "n/a"
    middle = statistics.median(values)
    if len(values) == 1:
        return f"{_num(middle, unit)} {unit}"
    return f"{_num(middle, unit)} {unit} [{_num(min(values), unit)}-{_num(max(values), unit)}]"


def print_table(rows: list[Row]) -> None:
    header = [
        "metric",
        "project median [min-max]",
        "floor median [min-max]",
        "ratio p/f",
        "goal",
        "result",
        "errors p/f",
    ]
    lines: list[list[str]] = []
    for row in rows:
        ratio = "n/a"
        if row.project and row.floor and statistics.median(row.floor) > 0:
            ratio = f"{statistics.median(row.project) / statistics.median(row.floor):.2f}"
        errors = f"{row.errors[0]}/{row.errors[1]}" if row.errors is not None else "-"
        lines.append(
            [row.label, _cell(row.project, row.unit), _cell(row.floor, row.unit), ratio, row.goal, row.verdict, errors]
        )
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines, strict=True)]
    rule = "  ".join("-" * width for width in widths)
    print("  ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True)))
    print(rule)
    for line in lines:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def values(samples: list[Sample], key: str, scale: float = 1.0) -> list[float]:
    return [sample.values[key] * scale for sample in samples if key in sample.values]


def errors_of(project: list[Sample], floor: list[Sample]) -> tuple[int, int]:
    return sum(sample.errors for sample in project), sum(sample.errors for sample in floor)


async def main_async(config: Config) -> int:
    started = time.perf_counter()
    upstream = await UpstreamControl.start()
    workdir = tempfile.mkdtemp(prefix="openrouterai-mcp-bench-")  # no stray .env is read from here
    env = server_env(upstream.base_url)
    targets = (Target("project", project_argv()), Target("floor", floor_argv()))
    bench = Bench(config, upstream, env, workdir)
    log(f"upstream: {upstream.base_url} ({upstream.models} models); reps={config.reps}")
    log(f"project: {' '.join(targets[0].argv)}")
    log(f"floor:   {' '.join(targets[1].argv)}")
    rows: list[Row] = []
    try:
        # One discarded spawn each, so bytecode compilation and a cold page cache are not measured.
        for target in targets:
            session = await bench.started(target)
            await session.close()

        log(f"[1/6] cold start ({config.cold_spawns} spawns of each per repetition, alternating)")
        cold_p: list[Sample] = []
        cold_f: list[Sample] = []
        for rep in range(config.reps):
            project_sample, floor_sample = await bench.cold_start(targets)
            cold_p.append(project_sample)
            cold_f.append(floor_sample)
            for target, sample in zip(targets, (project_sample, floor_sample), strict=True):
                log_sample("cold", rep, config.reps, target, sample)
        for key, label in (("init", "cold start: spawn → initialize"), ("list", "cold start: spawn → tools/list")):
            project, floor = values(cold_p, key, 1000), values(cold_f, key, 1000)
            ok = None if not project or not floor else med(project) <= med(floor) + 40
            rows.append(Row(label, "ms", project, floor, errors_of(cold_p, cold_f), "≤ floor + 40 ms", verdict(ok)))

        log(f"[2/6] {config.seq_calls} sequential chat_completion calls, upstream instant")
        seq_p, seq_f = await interleaved("chat", bench.chat_sequential, targets, config.reps)
        project, floor = values(seq_p, "p50", 1000), values(seq_f, "p50", 1000)
        ok = None if not project or not floor else med(project) <= 1.2 * med(floor)
        rows.append(
            Row("chat_completion p50", "ms", project, floor, errors_of(seq_p, seq_f), "≤ 1.2 x floor", verdict(ok))
        )
        rows.append(Row("chat_completion p99", "ms", values(seq_p, "p99", 1000), values(seq_f, "p99", 1000), None))
        rows.append(
            Row("chat_completion server CPU/call", "ms", values(seq_p, "cpu", 1000), values(seq_f, "cpu", 1000), None)
        )

        log(
            f"[3/6] {config.burst_calls} concurrent chat_completion calls, "
            f"upstream delay {config.burst_delay * 1000:g} ms"
        )
        burst_p, burst_f = await interleaved("burst", bench.chat_burst, targets, config.reps)
        project = values(burst_p, "wall")
        ok = None if not project else med(project) <= 0.27
        rows.append(
            Row(
                f"{config.burst_calls} x {config.burst_delay * 1000:g} ms chat burst, wall",
                "s",
                project,
                values(burst_f, "wall"),
                errors_of(burst_p, burst_f),
                "≤ 0.27 s",
                verdict(ok),
            )
        )

        log(f"[4/6] {config.search_calls} warm search_models calls")
        search_p, search_f = await interleaved("search", bench.search_warm, targets, config.reps)
        rows.append(
            Row(
                "search_models p50, client round trip",
                "ms",
                values(search_p, "p50", 1000),
                values(search_f, "p50", 1000),
                errors_of(search_p, search_f),
                "(reported)",
            )
        )
        rows.append(
            Row(
                "search_models server CPU/call",
                "ms",
                values(search_p, "cpu", 1000),
                values(search_f, "cpu", 1000),
                None,
                "(reported)",
            )
        )
        catalog = json.loads(upstream_catalog_bytes())
        server_p: list[float] = []
        server_f: list[float] = []
        note = ""
        try:
            project_fn, floor_fn = project_search_fn(catalog), floor_search_fn(catalog)
            for rep in range(config.reps):
                server_p.append(inprocess_p50(project_fn, config.inprocess_calls) * 1000)
                server_f.append(inprocess_p50(floor_fn, config.inprocess_calls) * 1000)
                log(
                    f"  search in-process rep {rep + 1}/{config.reps} "
                    f"project={server_p[-1]:.3f}ms floor={server_f[-1]:.3f}ms"
                )
        except Exception as exc:
            note = f"{type(exc).__name__}: {exc}"
            log(f"  search in-process: not measured ({note})")
        ok = None if not server_p else med(server_p) <= 0.3
        rows.append(Row("search_models p50, server-side", "ms", server_p, server_f, None, "≤ 0.3 ms", verdict(ok)))

        log("[5/6 + 6/6] idle RSS, peak RSS, exit after stdin EOF")
        mem_p, mem_f = await interleaved("memory", bench.memory_and_exit, targets, config.reps)
        project, floor = values(mem_p, "idle_mb"), values(mem_f, "idle_mb")
        ok = None if not project or not floor else med(project) <= med(floor) + 5
        rows.append(Row("idle RSS", "MB", project, floor, errors_of(mem_p, mem_f), "≤ floor + 5 MB", verdict(ok)))
        rows.append(Row("peak RSS (VmHWM)", "MB", values(mem_p, "peak_mb"), values(mem_f, "peak_mb"), None))
        project = values(mem_p, "exit", 1000)
        ok = None if not project else med(project) <= 50
        rows.append(
            Row("exit after stdin EOF", "ms", project, values(mem_f, "exit", 1000), None, "≤ 50 ms", verdict(ok))
        )

        stats = await upstream.stats()
    finally:
        await upstream.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        f"openrouterai-mcp benchmark: project vs floor, {config.reps} interleaved repetition(s), "
        f"{upstream.models} models, Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s)"
    )
    print()
    print_table(rows)
    total_errors = sum(sum(row.errors) for row in rows if row.errors is not None)
    print()
    print("median [min-max] over the repetitions; ratio p/f = project median / floor median.")
    print("server CPU/call: the server process's user+system time over the phase / calls (10 ms clock ticks).")
    print("search_models server-side: the tool body in-process (validate, filter, JSON envelope), no MCP transport.")
    print()
    print(
        f"errors: {total_errors} in all (a JSON-RPC error, an isError result, a timeout or an unclean exit each count)"
    )
    print(
        f"upstream saw: {stats['models']} catalog fetches, {stats['chat']} chat requests, "
        f"{stats['connections']} connections, at most {stats['max_in_flight']} requests in flight, "
        f"{stats['other']} unexpected requests"
    )
    if note:
        print(f"server-side search cost not measured: {note}")
    for target in targets:
        if target.stderr_lines:
            print(f"{target.name} wrote {target.stderr_lines} stderr line(s), first ones:")
            for line in target.stderr_sample:
                print(f"    {line[:300]}")
    misses = [row.label for row in rows if row.verdict == "MISS"]
    print(f"goals missed: {', '.join(misses) if misses else 'none'}")
    print(f"total time {time.perf_counter() - started:.1f} s")
    return 1 if total_errors else 0


_CATALOG_BYTES: bytes | None = None


def upstream_catalog_bytes() -> bytes:
    """The same catalog the upstream serves (it is deterministic), built once in this process."""
    global _CATALOG_BYTES
    if _CATALOG_BYTES is None:
        _CATALOG_BYTES = json.dumps(make_catalog(), separators=(",", ":")).encode()
    return _CATALOG_BYTES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=None, help="interleaved repetitions per phase (default 3)")
    parser.add_argument("--quick", action="store_true", help="fast smoke run: 1 repetition and fewer calls")
    parser.add_argument("--upstream", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.upstream:
        asyncio.run(serve_upstream())
        return
    if options.quick:
        config = Config(
            reps=1,
            cold_spawns=3,
            seq_calls=50,
            burst_calls=64,
            burst_delay=0.2,
            search_calls=50,
            session_seq_calls=10,
            inprocess_calls=200,
        )
    else:
        config = Config(
            reps=3,
            cold_spawns=10,
            seq_calls=200,
            burst_calls=64,
            burst_delay=0.2,
            search_calls=200,
            session_seq_calls=50,
            inprocess_calls=1000,
        )
    if options.reps is not None:
        if options.reps < 1:
            parser.error("--reps must be at least 1")
        config.reps = options.reps
    sys.exit(asyncio.run(main_async(config)))


if __name__ == "__main__":
    main()
