# The two commands of the README. Each creates or refreshes .venv first.
#   make demo   the whole SSG-RWSR pipeline on generated demo data (CPU)
#   make test   the linters (make lint), then the test suite
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_ARGS ?=
PYTEST_ARGS ?=
# pytest-xdist workers: one per core, each with one thread (OMP_NUM_THREADS reaches the tools
# they start too), the files marked heavy first (conftest.py; --no-loadscope-reorder keeps
# that order instead of xdist's most-tests-first); README.md gives the suite's time
PYTEST_WORKERS ?= 2

# what the linters read (their settings are in setup.cfg)
LINT_PATHS := mmssg tools tests configs benchmarks setup.py

.PHONY: env demo lint test

env:
	@PYTHON=$(PYTHON) MMSSG_VENV=$(VENV) bash tools/setup_env.sh

demo: env
	$(PY) tools/demo.py $(DEMO_ARGS)

# OpenMMLab's checks: flake8, import order (isort) and formatting (yapf; --diff fails on
# any change it would make). `pre-commit run --all-files` runs the same from
# .pre-commit-config.yaml.
lint: env
	$(PY) -m flake8 $(LINT_PATHS)
	$(PY) -m isort --check-only --diff $(LINT_PATHS)
	$(PY) -m yapf --diff --recursive --parallel $(LINT_PATHS)

test: lint
	OMP_NUM_THREADS=1 $(PY) -m pytest tests -n $(PYTEST_WORKERS) --dist loadfile \
		--no-loadscope-reorder $(PYTEST_ARGS)
