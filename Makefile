# Two commands for a newcomer: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench clean

$(BIN)/python:
	@$(PYTHON) -c "import sys; sys.exit(sys.version_info < (3, 11))" 2>/dev/null || { echo "Convene needs Python 3.11 or newer: set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# torch first, pinned, so pip takes the CPU build instead of a multi-GB CUDA one.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/convene demo

# The whole suite in float32, then the tests on the real model again in bfloat16: both
# precisions the embedder may pick must pass (CONVENE_PRECISION forces one).
test: $(STAMP)
	HF_HUB_OFFLINE=1 CONVENE_PRECISION=fp32 $(BIN)/python -m pytest -q
	HF_HUB_OFFLINE=1 CONVENE_PRECISION=bf16 $(BIN)/python -m pytest -q -m model
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/freshness.py
	$(BIN)/python bench/match.py
	$(BIN)/python bench/topics.py
	$(BIN)/python bench/digest.py
	$(BIN)/python bench/faults.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/telegram_send.py
	$(BIN)/python bench/telegram_webhook.py
	$(BIN)/python bench/vectors.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache convene-demo.db*
