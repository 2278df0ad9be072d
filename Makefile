# Every target bootstraps .venv on first use: torch's local CPU wheel first, then the project.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
UI_PORT ?= 8501

.PHONY: install test run index law-index law-eval eval bench soak clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

index: $(STAMP)
	$(PY) -m indexer build

# The law library (lawrefbook, ../shared/corpora/lawrefbook or PQA_LAWREFBOOK_DIR) in var/law/<scope>/:
# LAW_SCOPE=national (1,563 texts, about an hour on 2 cores) or whole (3,474 texts, about two hours).
# Resumable: a killed build keeps what it embedded. Serve it with the line it prints last.
LAW_SCOPE ?= national
law-index: $(STAMP)
	$(PY) -m indexer law --scope $(LAW_SCOPE)

# People's questions over the national law library (builds its index first when needed)
law-eval: $(STAMP)
	$(PY) -m evals run --suite law-tune --suite law-test --report var/reports/law

run: $(STAMP)
	$(PY) -m ui.run_all --host $(HOST) --api-port $(PORT) --ui-port $(UI_PORT)

eval: $(STAMP)
	$(PY) -m evals run --report var/reports/latest

bench: $(STAMP)
	$(PY) -m indexer.bench
	$(PY) -m indexer.bench_formats
	$(PY) -m indexer.bench_law
	$(PY) -m assistant.bench

# 64 clients for 60 s (10 % long questions, 1 % hostile), then again with two index rebuilds
soak: $(STAMP)
	$(PY) -m indexer build
	$(PY) -m assistant.soak

clean:
	rm -rf var .pytest_cache
