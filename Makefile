# Single entry points. `make run` starts the assistant, `make test` runs every test.
# Both set up what they need first: the virtual environment and, when its inputs changed, the model.

SHELL := /bin/bash
BOT_VENV := .venv/bot
BOT_PY := $(BOT_VENV)/bin/python
BOT_STAMP := $(BOT_VENV)/.installed-$(shell cat bot/requirements.txt bot/requirements-dev.txt bot/constraints.txt | sha1sum | cut -c1-12)
GW_VENV := .venv/gateway
GW_PY := $(GW_VENV)/bin/python
GW_STAMP := $(GW_VENV)/.installed-$(shell cat gateway/requirements.txt gateway/requirements-dev.txt gateway/constraints.txt | sha1sum | cut -c1-12)
PYTHON311 ?= $(shell command -v python3.11 >/dev/null 2>&1 && python3.11 -c 'import sys' 2>/dev/null && echo python3.11 || echo python3)
export PYTHONPATH := $(CURDIR)
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help browser setup train run test validate eval eval-answers bench bench-nlu drills clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

setup: $(BOT_STAMP) $(GW_STAMP)  ## Create the virtual environments: bot (Python 3.10) and gateway (3.11)

$(BOT_STAMP): bot/requirements.txt bot/requirements-dev.txt bot/constraints.txt
	@PY310=$$(scripts/find-python310.sh) && echo "Using $$PY310" && \
	  ( [ -x $(BOT_PY) ] || $$PY310 -m venv $(BOT_VENV) )
	$(BOT_PY) -m pip install -q --upgrade "pip<25"
	$(BOT_PY) -m pip install -q -r bot/requirements.txt -r bot/requirements-dev.txt -c bot/constraints.txt
	@rm -f $(BOT_VENV)/.installed-* && touch $@

$(GW_STAMP): gateway/requirements.txt gateway/requirements-dev.txt gateway/constraints.txt
	@$(PYTHON311) -c 'import sys; assert sys.version_info >= (3, 11), "the gateway needs Python 3.11+"' && \
	  ( [ -x $(GW_PY) ] || $(PYTHON311) -m venv $(GW_VENV) )
	$(GW_PY) -m pip install -q -r gateway/requirements.txt -r gateway/requirements-dev.txt -c gateway/constraints.txt
	@rm -f $(GW_VENV)/.installed-* && touch $@

train: setup  ## Train the model unless one with the same inputs exists
	$(BOT_PY) -m scripts.model train

run: train  ## Start Redis (embedded unless REDIS_URL is set), actions, Rasa and the gateway; Ctrl-C stops all
	$(BOT_PY) -m scripts.stack

validate: setup  ## rasa data validate
	$(BOT_PY) -m scripts.validate

browser:  ## Chromium and Chinese fonts for the browser tests (installed with apt when run as root)
	@scripts/ensure-browser.sh

test: browser train validate  ## Run all tests
	$(BOT_PY) -m pytest tests/bot
	$(GW_PY) -m pytest tests/gateway
	$(BOT_PY) -m scripts.model test-stories

eval: train  ## Answers on the independent question set, then NLU and knowledge-search component figures
	$(BOT_PY) -m scripts.evaluate_answers
	$(BOT_PY) -m scripts.evaluate_nlu

eval-answers: train  ## The replies customers read, scored on the independent question set; unrelated requests from outside
	$(BOT_PY) -m scripts.evaluate_answers

bench-nlu: setup  ## Training time, model size and parse latency
	$(BOT_PY) -m scripts.bench_nlu

bench: train  ## Issue 17's speed goals, SQLite and PostgreSQL (BENCH_CONFIGS=sqlite|postgres, BENCH_QUICK=1: smoke run)
	$(GW_PY) -m scripts.bench_load

drills: train  ## Failure drills: pinning, gateway restart, Redis restart, action server down, PostgreSQL outage
	$(GW_PY) -m scripts.drill_pinning
	$(GW_PY) -m scripts.drill_gateway_restart
	$(GW_PY) -m scripts.drill_outages

clean:  ## Remove environments, models and results
	rm -rf .venv bot/models bot/results .run

LINT_VENV := .venv/lint
LINT_STAMP := $(LINT_VENV)/.installed-$(shell sha1sum requirements-lint.txt | cut -c1-12)

$(LINT_STAMP): requirements-lint.txt
	@[ -x $(LINT_VENV)/bin/python ] || $(PYTHON311) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/python -m pip install -q -r requirements-lint.txt
	@rm -f $(LINT_VENV)/.installed-* && touch $@

.PHONY: lint
lint: $(LINT_STAMP)  ## ruff (style, imports, bugbear) and mypy (types), configured in pyproject.toml
	$(LINT_VENV)/bin/ruff check .
	$(LINT_VENV)/bin/mypy

.PHONY: compose-test validate-manifests
compose-test:  ## Build the compose stack, start it, smoke-test it through the gateway, then down -v (Docker started if none runs)
	$(PYTHON311) scripts/compose_test.py

validate-manifests:  ## Validate the Kubernetes manifests in deploy/ offline (kubernetes-validate --strict)
	scripts/validate_manifests.sh
