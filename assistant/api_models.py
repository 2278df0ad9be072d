"""Request bodies of the question routes (``POST /ask``, ``POST /search``): strict, bounded, no unknown keys."""
from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from indexer.lawtypes import LEGAL_TYPES
from indexer.records import CLAUSE_KINDS

from .filters import as_of_date

MAX_QUESTION = 4000  # long pastes are normal; the engine answers from their key part (assistant/budget.py)
MAX_HISTORY = 20
MAX_FILTER_ITEMS = 50


class FiltersModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(None, max_length=MAX_FILTER_ITEMS)
    jurisdiction: Annotated[str, Field(min_length=1, max_length=100)] | Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=MAX_FILTER_ITEMS)] | None = None
    year_from: Annotated[int, Field(strict=True, ge=1900, le=2200)] | None = None
    year_to: Annotated[int, Field(strict=True, ge=1900, le=2200)] | None = None
    kinds: list[Literal[CLAUSE_KINDS]] | None = None  # type: ignore[valid-type]
    # each law as in force on this date (YYYY-MM-DD); without it, the version in force today
    as_of: Annotated[str, Field(strict=True, max_length=10)] | None = None
    # the type of law or document: 宪法, 法律, 行政法规, 部门规章, 地方性法规, 地方政府规章, 司法解释, 案例, 规范性文件
    law_types: list[Literal[LEGAL_TYPES]] | None = Field(None, max_length=len(LEGAL_TYPES))  # type: ignore[valid-type]

    @field_validator("as_of")
    @classmethod
    def _date(cls, v: str | None) -> str | None:
        return as_of_date(v)  # a FilterError is a ValueError: pydantic makes it a 422 with its message

    @model_validator(mode="after")
    def _range(self) -> "FiltersModel":
        if self.year_from is not None and self.year_to is not None and self.year_from > self.year_to:
            raise ValueError("year_from must not be after year_to")
        return self


def _clean_question(v: Any) -> Any:
    if isinstance(v, str):
        v = v.strip()
        if not v:
            raise ValueError("question is empty")
        if len(v) > MAX_QUESTION:
            raise ValueError(f"question is longer than {MAX_QUESTION} characters")
    return v


class HistoryTurn(BaseModel):
    """An earlier turn as a previous ``/ask`` response described it."""

    model_config = ConfigDict(extra="forbid")

    question: Annotated[str, Field(strict=True)]
    resolved_question: Annotated[str, Field(strict=True, max_length=MAX_QUESTION)] | None = None
    slots: dict[str, Any] | None = None

    _q = field_validator("question")(_clean_question)

    @field_validator("slots")
    @classmethod
    def _small_slots(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is not None and (len(v) > 20 or len(json.dumps(v, ensure_ascii=False)) > 4000):
            raise ValueError("slots must have at most 20 keys and 4000 characters")
        return v


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Annotated[str, Field(strict=True)]
    top_k: Annotated[int, Field(strict=True, ge=1, le=50)] = 5
    filters: FiltersModel | None = None
    mode: Literal["hybrid", "bm25", "dense"] | None = None
    history: list[HistoryTurn] | None = Field(None, max_length=MAX_HISTORY)
    conversation_id: Annotated[str, Field(strict=True, min_length=1, max_length=64)] | None = None

    _q = field_validator("question")(_clean_question)

    @model_validator(mode="after")
    def _one_context(self) -> "AskRequest":
        if self.history is not None and self.conversation_id is not None:
            raise ValueError("give history or conversation_id, not both")
        return self


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Annotated[str, Field(strict=True)] | None = None
    query: Annotated[str, Field(strict=True)] | None = None
    top_k: Annotated[int, Field(strict=True, ge=1, le=50)] = 10
    filters: FiltersModel | None = None
    mode: Literal["hybrid", "bm25", "dense"] | None = None

    _q = field_validator("question", "query")(_clean_question)

    @model_validator(mode="after")
    def _one_text(self) -> "SearchRequest":
        if self.question is None and self.query is None:
            raise ValueError("question is required")
        if self.question is not None and self.query is not None and self.question != self.query:
            raise ValueError("give question or query, not two different texts")
        return self

    @property
    def text(self) -> str:
        return self.question if self.question is not None else str(self.query)
