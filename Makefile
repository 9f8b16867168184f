# One entry point for analysts and CI. Every target bootstraps .venv from the pinned
# lock first, so a fresh clone needs only Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
# Python caches compiled modules (.pyc) unless PYTHONDONTWRITEBYTECODE is set, as it is in
# many container images. uv installs without compiling, so there every process (each test
# worker, each notebook's kernel) would compile pandas, matplotlib and scipy again from
# source: about 9 s against 2.4 s to import them on a 2-core machine. The project's
# commands let Python cache them in .venv (and __pycache__/, ignored by git).
unexport PYTHONDONTWRITEBYTECODE
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: report test test-fast lint format lab lock benchmark bench-venv clean-venv

report: $(STAMP)  ## regenerate every study's report (python -m peerstudy report)
	$(BIN)/python -m peerstudy report

# One worker per core, at most four; --dist loadfile keeps a notebook's cells on one worker
# (nbval runs them in one kernel). --dist loadgroup did not (pytest-xdist 3.8).
test: lint       ## the lint gate, then the whole suite: unit, doctests, nbval, backtest
	$(BIN)/python -m pytest -n auto --maxprocesses 4 --dist loadfile

lint: $(STAMP)    ## the lint, format and type gate (ruff and mypy, configured in pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)  ## apply the formatter and the safe lint fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test-fast: lint  ## the lint gate, then everything but pipeline runs, nbval and the backtest (marked slow), fewer property examples
	PEERSTUDY_FAST_LANE=1 $(BIN)/python -m pytest -m "not slow" -q -n 2 tests src

# JupyterLab refuses to start as root unless told; containers and CI machines often are root.
LAB_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root,)

# Rooted at the project (studies/, data/, reports/ in reach), opened on notebooks/; saving
# normalises notebook metadata (jupyter_server_config.py), and notebooks run here write to
# .scratch/, not reports/ (see README, Working in JupyterLab).
lab: $(STAMP)     ## JupyterLab with the project's kernel, at the project root, notebooks/ shown
	$(BIN)/jupyter lab --config=jupyter_server_config.py --ServerApp.root_dir=. \
	  --LabApp.default_url=/lab/tree/notebooks $(LAB_FLAGS)

benchmark: $(STAMP)  ## every benchmark in benchmarks/ (bench_*.py), one after another
	@set -e; for bench in benchmarks/bench_*.py; do echo "== $$bench"; $(BIN)/python $$bench; done

# bib-dedupe, for the deduplication benchmark's comparison only: in its own venv, never in
# .venv (which holds exactly the lock). bench_dedup.py uses it when it is there.
bench-venv:
	rm -rf .venv-bench && $(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet --disable-pip-version-check bib-dedupe

# Install exactly the locked versions, then the project itself (editable, no deps),
# then register the kernel inside the venv so papermill and JupyterLab find it.
# uv does the installing when it is on PATH or can be installed (at its locked version)
# from the package index; pip does it otherwise. Both read the same lock.
UV_PIN := $(shell grep -i '^uv==' requirements.lock)
$(STAMP): requirements.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: python3.11 not found on PATH; install Python 3.11" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@if command -v uv >/dev/null 2>&1; then UV=uv; \
	elif $(BIN)/python -m pip install --quiet --disable-pip-version-check "$(UV_PIN)" >/dev/null 2>&1; then UV=$(BIN)/uv; \
	else UV=; fi; \
	if [ -n "$$UV" ]; then \
	  echo "installing requirements.lock with uv"; \
	  $$UV pip install --quiet --python $(BIN)/python -r requirements.lock && \
	  $$UV pip install --quiet --python $(BIN)/python --no-deps -e .; \
	else \
	  echo "installing requirements.lock with pip"; \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock && \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .; \
	fi
	$(BIN)/python -m ipykernel install --sys-prefix --name peerstudy --display-name "Python (peerstudy)" >/dev/null
	@rm -f $(VENV)/.installed-*
	@touch $@

# Re-resolve the newest versions allowed by pyproject.toml and rewrite
# requirements.lock and environment.yml from them (then run make report and make test).
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,dev]'
	.venv-lock/bin/python -m pip freeze --all --exclude-editable | grep -v '^pip==' > requirements.lock.new
	mv requirements.lock.new requirements.lock
	.venv-lock/bin/python -m peerstudy.pipeline.envfiles > environment.yml.new
	mv environment.yml.new environment.yml
	rm -rf .venv-lock

clean-venv:
	rm -rf $(VENV)
