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
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/nas search --flops 400M --baseline

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV)
