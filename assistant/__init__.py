"""policy-qa assistant: hybrid retrieval, extractive answers with precise citations, HTTP API.

Public API (imported lazily, so ``import assistant`` stays cheap)::

    from assistant import Assistant, AssistantConfig, AssistantError, Filters, create_app
    qa = Assistant.load("var/index")          # AssistantError (one line) if unusable
    qa.ask("2025年每千人口托位数目标是多少")    # {"question", "answer", "found", "citations", "took_ms"}
    qa.ask("那平坝区呢？", history=[{"question": "2025年每千人口托位数目标是多少"}])  # a follow-up, resolved
    qa.search("托位数", top_k=10)             # ranked clauses only
    app = create_app(assistant=qa)            # FastAPI app (or create_app(settings) to load at start-up)
"""
from __future__ import annotations

from typing import Any

__all__ = [
    "Assistant",
    "AssistantConfig",
    "AssistantError",
    "Filters",
    "FilterError",
    "NOT_FOUND",
    "Resolution",
    "Vocabulary",
    "create_app",
    "resolve",
]

_EXPORTS = {
    "Assistant": ("engine", "Assistant"),
    "AssistantError": ("engine", "AssistantError"),
    "AssistantConfig": ("config", "AssistantConfig"),
    "Filters": ("retrieval", "Filters"),
    "FilterError": ("retrieval", "FilterError"),
    "NOT_FOUND": ("answer", "NOT_FOUND"),
    "create_app": ("service", "create_app"),
    "resolve": ("followup", "resolve"),
    "Resolution": ("followup", "Resolution"),
    "Vocabulary": ("vocabulary", "Vocabulary"),
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        module, attr = _EXPORTS[name]
        value = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
