# The two commands: `make demo` and `make test`. Both set up .venv first if it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[all,dev]"
	$(PY) -m compileall -q src  # bytecode ahead, as an installed package has it (even with PYTHONDONTWRITEBYTECODE)
	touch $(STAMP)

demo: setup
	rm -f demo.db
	$(VENV)/bin/hypernas run examples/demo.yaml --storage demo.db

test: setup lint
	$(PY) -m pytest -q -p no:cacheprovider

lint: setup
	$(VENV)/bin/ruff check src tests bench examples
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) demo.db build src/*.egg-info
