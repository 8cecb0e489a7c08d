# Every target creates or reuses .venv from pyproject.toml; a fresh machine needs only Python >= 3.11 and make.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The platform SDK's own environment: lhub-integ 1.0.14 beside our package, `pip check` clean.
LHUB_VENV ?= .venv-lhub
LHUB_STAMP := $(LHUB_VENV)/.installed

.PHONY: install lhub-env test lint format demo bench reliability clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,sim,terminal]'
	touch $(STAMP)

install: $(STAMP)

$(LHUB_STAMP): pyproject.toml
	test -x $(LHUB_VENV)/bin/python || $(PYTHON) -m venv $(LHUB_VENV)
	$(LHUB_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[lhub]'
	$(LHUB_VENV)/bin/python -m pip check
	touch $(LHUB_STAMP)

lhub-env: $(LHUB_STAMP)

test: $(STAMP) $(LHUB_STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests $(wildcard benchmarks)
	$(VENV)/bin/ruff format --check src tests $(wildcard benchmarks)
	$(VENV)/bin/mypy --strict src

format: $(STAMP)
	$(VENV)/bin/ruff check --fix src tests $(wildcard benchmarks)
	$(VENV)/bin/ruff format src tests $(wildcard benchmarks)

demo: $(STAMP)
	$(VENV)/bin/mimecast-soar demo

bench: $(STAMP) $(LHUB_STAMP)
	$(PY) benchmarks/run.py

# The whole fault and abuse campaign (about 10 minutes on 2 cores): writes docs/reliability.md.
reliability: $(STAMP)
	$(PY) -m tests.reliability.campaign

clean:
	rm -rf $(VENV) $(LHUB_VENV) build dist .pytest_cache .mypy_cache .ruff_cache
