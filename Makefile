# Rencontres — the two commands of the README: `make reports` and `make test`.
# Only Python 3.11 and make are needed: the rest is installed into .venv.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: reports test lint format lab bench clean setup notebooks

setup: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 introuvable ($(PYTHON)) : installez-le ou lancez make PYTHON=python3"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ipykernel)" >/dev/null
	touch $(STAMP)

## make reports: build every report from the example data into reports/
reports: $(STAMP)
	$(BIN)/rencontres build

## make test: every test (library, notebooks with nbval, browser, JupyterLab)
test: $(STAMP)
	$(BIN)/ruff check rencontres_lib tests benchmarks scripts
	$(BIN)/python -m pytest -q
	$(BIN)/python -m pytest -q --nbval-lax notebooks/rencontre.ipynb notebooks/synthese.ipynb notebooks/explorer.ipynb -p no:randomly

lint: $(STAMP)
	$(BIN)/ruff check rencontres_lib tests benchmarks scripts
	$(BIN)/ruff format --check rencontres_lib tests benchmarks scripts

format: $(STAMP)
	$(BIN)/ruff format rencontres_lib tests benchmarks scripts

## make notebooks: regenerate the .ipynb from their py:percent pair (no outputs)
notebooks: $(STAMP)
	$(BIN)/jupytext --sync notebooks/rencontre.py notebooks/synthese.py notebooks/explorer.py

## make lab: open the workbook in JupyterLab (as root too: containers), each notebook listed once
## (.jupyter/jupyter_server_config.json hides the jupytext .py pairs from the file browser)
LAB_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)
lab: $(STAMP)
	JUPYTER_CONFIG_PATH="$(CURDIR)/.jupyter" $(BIN)/jupyter lab $(LAB_ROOT) notebooks/

## make bench: 1,000 proposals consolidated, then (bench_tout.py) naive loop vs rencontres build,
## 4/25/100 territories and a Dask cluster run, the 1 M-row loader run; ends with the ratio lines
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_consolidation.py
	$(BIN)/python benchmarks/bench_documents.py
	$(BIN)/python benchmarks/bench_tout.py

clean:
	rm -rf build reports/*.html reports/assets reports/tableaux
