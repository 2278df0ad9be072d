"""policy-qa indexer: parse policy documents into clauses and build a searchable clause index.

Public API (everything else is internal)::

    from indexer import get_settings, build_index, ClauseIndex, tokenize
    report = build_index(get_settings())
    index = ClauseIndex.load(get_settings().index_dir, expected_model=get_settings().model)
"""
from .corpus import Corpus, load_corpus
from .embedder import Embedder, EmbedderError, EmbeddingCache, load_embedder
from .index import FORMAT_VERSION, BuildReport, ClauseIndex, IndexLoadError, build_index
from .parser import parse_document
from .records import Clause, Document
from .settings import Settings, get_settings
from .tokenize import tokenize

__all__ = [
    "Settings",
    "get_settings",
    "Clause",
    "Document",
    "parse_document",
    "load_corpus",
    "Corpus",
    "tokenize",
    "Embedder",
    "EmbedderError",
    "load_embedder",
    "EmbeddingCache",
    "build_index",
    "BuildReport",
    "ClauseIndex",
    "IndexLoadError",
    "FORMAT_VERSION",
]
