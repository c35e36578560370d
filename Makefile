# Dispatch 112: `make run` starts the whole system, `make test` runs the whole suite.
PYTHON_SYSTEM ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test test-faults test-ha bench audit install install-test migrate seed clean

$(VENV)/bin/python:
	$(PYTHON_SYSTEM) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt requirements.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_bengkulu

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@echo ""
	@echo "  Dispatch 112 — open http://127.0.0.1:$(PORT)/ and log in as 'operator', 'supervisor'"
	@echo "  or an agency account such as 'staf_damkar' (password: bengkulu-112-demo)."
	@echo ""
	PORT=$(PORT) $(PY) manage.py runsystem --port $(PORT)

test: install-test
	$(PY) -m pytest $(PYTEST_ARGS)

test-faults: install-test
	$(PY) -m pytest -m faults tests/faults

# Known vulnerabilities in the installed dependencies, with how many packages pip-audit could
# actually look up (.ci/pip_audit_report.py), and bandit (medium and high) over our code.
audit: install-test
	$(PY) .ci/pip_audit_report.py
	$(VENV)/bin/bandit -c bandit.yaml -ll -r . -q
	$(VENV)/bin/lint-imports

# The high-availability layout in network namespaces, its machines killed under load (root; bench/ha.py).
test-ha: install-test
	$(PY) bench/ha.py

bench: install-test
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
