"""A synthetic model catalog in the shape of OpenRouter's `GET /api/v1/models` (deterministic, ~425 models).

Every provider's families, sizes and variants, some `:free` twins and the three routers, with prices,
modalities, supported parameters and descriptions drawn from the real catalog's distributions.
"""

from __future__ import annotations

import random
import time
from decimal import Decimal
from typing import Any

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
