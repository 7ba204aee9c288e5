# The two commands of the README. Each creates or refreshes .venv first.
#   make demo   the whole SSG-RWSR pipeline on generated demo data (CPU)
#   make test   the test suite
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_ARGS ?=
PYTEST_ARGS ?=

.PHONY: env demo test

env:
	@PYTHON=$(PYTHON) MMSSG_VENV=$(VENV) bash tools/setup_env.sh

demo: env
	$(PY) tools/demo.py $(DEMO_ARGS)

test: env
	$(PY) -m pytest tests $(PYTEST_ARGS)
