# Local run, tests and lint. Every target creates .venv when it is missing.

# Django 6 needs Python 3.12 or newer. The first interpreter below that runs
# and is new enough is used, 3.12 first because the pinned wheels are tested
# with it; set PYTHON=/path/to/python3 to choose another.
PYTHON ?= $(shell for candidate in python3.12 \
	$(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3) python3.13 \
	$(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3) python3; do \
	if $$candidate -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	echo $$candidate; break; fi; done)

VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format demo check-python clean

check-python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "Python 3.12 or newer is required (Django 6). Install it, or run make PYTHON=/path/to/python3.12 ..." >&2; \
		exit 1; \
	fi

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.requirements: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.requirements-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.requirements $@

run: $(VENV)/.requirements
	$(BIN)/python manage.py migrate --no-input
	@echo
	@echo "Console: http://$(HOST):$(PORT)/console/register/ (create an administrator account first)"
	@echo "Demo data instead: $(BIN)/python manage.py seed_demo --base-url http://$(HOST):$(PORT)"
	@echo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

demo: $(VENV)/.requirements
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo --base-url http://$(HOST):$(PORT)

lint: $(VENV)/.requirements-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.requirements-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/python manage.py check
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) staticfiles test-artifacts .pytest_cache .ruff_cache

# Benchmark and optional dlib build. -------------------------------------------

.PHONY: bench dlib-blas

# Times the face factor against the plain face_recognition pipeline in one run
# (bench/face_bench.py; docs/benchmarks.md records results). face_recognition
# is installed without its dependencies, because it asks for the dlib source
# package, which dlib-bin already provides as the dlib module.
bench: $(VENV)/.requirements-dev
	$(BIN)/pip install --quiet --no-deps -r bench/requirements.txt
	$(BIN)/python -m bench.face_bench

# Optional: replaces the dlib-bin wheel (built without BLAS) with dlib 20.0.1
# built from source against Debian's OpenBLAS, which computes the face
# descriptor several times faster. The build took about 8 minutes on two
# cores. It needs cmake, clang and the OpenBLAS and LAPACK headers:
#   apt-get install cmake clang libopenblas-dev liblapack-dev
# clang compiles it because dlib's HOG face search built by Debian 12's GCC
# 12 took 46 ms a 640x480 frame, against 21 ms built by its clang 14, and
# bench.burst_eval gave the same counts and figures (docs/benchmarks.md).
# --no-cache-dir keeps pip from reusing a dlib wheel that it built earlier
# with another compiler or without OpenBLAS.
# Editing a requirements file later reinstalls dlib-bin over this build.
# To return to the wheel: .venv/bin/pip uninstall dlib && make -B .venv/.requirements
dlib-blas: $(VENV)/.requirements-dev
	@for package in cmake clang libopenblas-dev liblapack-dev; do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || { \
		echo "$$package is missing. Install the build dependencies with: apt-get install cmake clang libopenblas-dev liblapack-dev" >&2; \
		exit 1; }; \
	done
	$(BIN)/pip uninstall --yes dlib-bin
	CC=clang CXX=clang++ $(BIN)/pip install --no-cache-dir --no-binary dlib dlib==20.0.1
	$(BIN)/python -c "import dlib; print('dlib', dlib.__version__, 'DLIB_USE_BLAS =', dlib.DLIB_USE_BLAS)"
	@# The requirements are installed, so mark them current: otherwise a later
	@# target would install them again, and dlib-bin's files would replace
	@# this build's.
	touch $(VENV)/.requirements $(VENV)/.requirements-dev
