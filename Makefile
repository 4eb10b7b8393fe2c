# Two commands for a newcomer: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PORT ?= 8501

.PHONY: run test lint typecheck bench data clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[app]"
	touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP) $@

## run: set up and start the Streamlit app on the shipped data
run: $(STAMP)
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --browser.gatherUsageStats false

## test: set up and run ruff, mypy and every test (browser tests included)
test: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m pytest

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

typecheck: $(DEV_STAMP)
	$(VENV)/bin/mypy

## bench: run the benchmarks (spopt is a benchmark-only dependency)
bench: $(DEV_STAMP)
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	$(PY) benchmarks/bench_index.py
	$(PY) benchmarks/bench_coverage.py
	$(PY) benchmarks/bench_siting.py
	$(PY) benchmarks/bench_import.py
	$(PY) benchmarks/bench_app.py
	$(PY) benchmarks/bench_resident.py

## data: rebuild data/counties.geojson and data/outlets.geojson from the original sources
data: $(DEV_STAMP)
	$(PY) -m pip install --quiet -e ".[build-data]"
	$(PY) scripts/build_counties.py --census-xlsx ../shared/data/census_county_2020_v1.xlsx \
		--zones-csv ../shared/data/shanxi_unassigned_zones_population_2020.csv -o data/counties.geojson
	$(PY) scripts/generate_outlets.py -o data/outlets.geojson
	$(PY) scripts/generate_branches.py -o data/branches.geojson

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
