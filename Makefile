# ccd: the README's two commands are `make demo` and `make test`; both install what they need.
SHELL := /bin/bash
PY := .venv/bin/python

.PHONY: deps demo test lint unit bench clean

deps:
	@scripts/install-deps

demo: deps
	@scripts/demo

test: deps
	@scripts/run-tests

lint: deps
	$(PY) -m ruff check .
	$(PY) -m mypy
	.venv/bin/lint-imports

unit: deps
	$(PY) -m pytest -q tests/unit

bench: deps
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b --quick || exit 1; done

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache .import_linter_cache prompts-build var
