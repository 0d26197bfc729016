# Set-up is automatic: `make demo` and `make test` create .venv on first use.
# torch==2.13.0 is installed first (a CPU wheel on this machine's disk); the package's own range
# (torch>=2.4) is then already satisfied, so pip never pulls a multi-GB CUDA build.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev,deploy]'
	touch $(STAMP)

# The main job, end to end on scikit-learn's digits: FLOP-constrained search (B0 as baseline),
# a coarse compound-scaling grid on the best architecture found, its B0…B7 family (with a plot),
# a report (PNG plots + report.md) of each study, and the winner as an ONNX file checked by
# onnxruntime, with its latency measured on this machine.
demo: $(STAMP)
	$(BIN)/nas search --flops 400M --baseline --confirm 3 --study demo-search
	$(BIN)/nas scale --base study:demo-search --step 0.1 --study demo-scale
	$(BIN)/nas family --scaling studies/demo-scale/scaling.yaml --phis 0-7 --plot
	$(BIN)/nas report --study demo-search
	$(BIN)/nas report --study demo-scale
	$(BIN)/nas export study:demo-search --format onnx -o studies/demo-search/best.onnx
	$(BIN)/nas latency study:demo-search

# pytest-xdist runs the suite on every core (-n auto): most tests are single-threaded CPU work and
# subprocesses (about 15-17 CPU-minutes in all; 7-8 minutes on this 2-core machine). --dist
# loadgroup keeps the tests of one xdist_group (e.g. those sharing one trained supernet) on one
# worker; it needs pytest below 9.2 (pyproject.toml).
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadgroup

clean:
	rm -rf $(VENV)
