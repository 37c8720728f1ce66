"""Environment variables of features that other branches build (SPEC §7 multimodal, §9 conversations and
budgets, §10 team server). Documents and registry metadata may name them before they exist in `Settings`
on this branch; once a feature has landed its names are in `Settings` and this set no longer matters."""

from __future__ import annotations

PENDING_FEATURE_VARIABLES = frozenset(
    {
        "OPENROUTER_FILE_ROOTS",
        "OPENROUTER_MAX_FILE_MB",
        "OPENROUTER_MAX_REQUEST_MB",
        "OPENROUTER_OUTPUT_DIR",
        "OPENROUTER_MAX_INLINE_IMAGE_MB",
        "OPENROUTER_DATA_DIR",
        "OPENROUTER_HISTORY",
        "OPENROUTER_HISTORY_DAYS",
        "OPENROUTER_BUDGET_DAILY_USD",
        "OPENROUTER_BUDGET_MONTHLY_USD",
        "OPENROUTER_MAX_RESULT_CHARS",
        "OPENROUTER_DATABASE_URL",
    }
)
