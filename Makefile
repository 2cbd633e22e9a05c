# The course's commands. `make book` and `make test` set everything up on a fresh machine
# (Python 3.11 and npm): a virtual environment from the pinned requirements, the package
# installed in editable mode against constraints.txt, and the book's offline scripts from npm.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENDOR := book/_vendor
export UNET_COURSE_DATA ?= $(abspath ../shared/data/isbi2012)
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# Processes that execute notebooks or run tests side by side (make book, make test): each chapter's
# kernel uses one CPU thread in the quick profile, so one per core. WORKERS=1 for one at a time.
WORKERS ?= 2
XDIST := $(if $(filter-out 1,$(WORKERS)),-n $(WORKERS))
XDIST_FILES := $(if $(XDIST),$(XDIST) --dist loadfile)
# an idle worker takes tests queued for the other: a few minute-long tests do not end up on one worker
XDIST_STEAL := $(if $(XDIST),$(XDIST) --dist worksteal)

.PHONY: help venv vendor book translations test test-unit test-notebooks outputs student korean lab clean

help:
	@echo "make book    build the HTML book in English and Korean (executes the notebooks once, cached) and print the pages to open"
	@echo "make translations  refresh the Korean catalogs (locales/ko) after an English change; count what is left to translate"
	@echo "make test    unit tests, then every notebook under nbval (quick profile on a CPU)"
	@echo "make test-browser  the built book in headless Chromium (installs chromium, a Korean font, Playwright)"
	@echo "make test-gpu  unit tests and every notebook in the full profile (a CUDA GPU; PY=python3 without the venv)"
	@echo "make gpu-check OUT=dir  the same plus the benchmarks in under 10 minutes, logs and times to dir (a CUDA GPU)"
	@echo "make bench   every benchmark in one table (BENCH_ARGS=--quick for a short run)"
	@echo "make lab     start JupyterLab in the course's environment"
	@echo "make student write the learner's edition (notebooks without solutions) to learner/ and learner/ko/; commit it"
	@echo "make korean  rebuild the Korean notebooks (notebooks/ko/) from notebooks/ and locales/ko/; commit them"
	@echo "make outputs re-execute every notebook in place (refresh stored outputs)"

venv: $(VENV)/.installed

# Every pip install takes -c constraints.txt, the pins of the whole environment; requirements.txt
# names the direct requirements. The package goes in last with its dependencies resolved (no
# --no-deps), so a declaration in pyproject.toml that the pinned environment does not satisfy
# stops here. Two packages skip resolution on purpose: stardist, of which the course reads only
# the example image, goes in with --no-deps (its dependencies are TensorFlow and csbdeep), and
# elasticdeform, the reference of the augmentation tests, is built from source against the pinned
# NumPy (its PyPI wheel was built against NumPy 1 and does not import with NumPy 2).
$(VENV)/.installed: requirements.txt constraints.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -r requirements.txt
	$(PY) -m pip install --quiet -c constraints.txt --no-deps stardist==0.9.2
	$(PY) -m pip install --quiet -c constraints.txt --no-deps --no-build-isolation --no-binary elasticdeform elasticdeform==0.5.1
	$(PY) -m pip install --quiet -c constraints.txt --no-build-isolation -e ".[book,test,lab]"
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (unet-course)" > /dev/null
	touch $@

vendor: $(VENDOR)/.installed

$(VENDOR)/.installed: package.json
	npm install --no-audit --no-fund --ignore-scripts
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/widgets
	cp -r node_modules/mathjax/es5 $(VENDOR)/mathjax
	cp node_modules/@jupyter-widgets/html-manager/dist/embed.js $(VENDOR)/widgets/
	find node_modules/@jupyter-widgets/html-manager/dist -maxdepth 1 -regex '.*\.\(woff2?\|ttf\|eot\|svg\)' -exec cp {} $(VENDOR)/widgets/ \;
	# axe-core: the accessibility check of every page in the browser tests (tests/browser/test_accessibility.py)
	mkdir -p $(VENDOR)/axe && cp node_modules/axe-core/axe.min.js $(VENDOR)/axe/
	touch $@

# The English book executes the notebooks (jupyter cache in _build/.jupyter_cache): WORKERS of them at
# a time by scripts/execute_book.py, as myst-nb would one after another; the Korean book
# (_build/html/ko) is built from the same sources and the catalogs in locales/ko, taking every
# notebook's outputs from that cache: it executes nothing (scripts/build_book.py).
book: venv vendor
	$(PY) scripts/execute_book.py --workers $(WORKERS)
	$(VENV)/bin/jupyter-book build . -W -n --keep-going
	$(PY) scripts/build_book.py ko
	@echo "Open the book: file://$(abspath _build/html/index.html)"
	@echo "한국어판 (the Korean book): file://$(abspath _build/html/ko/index.html)"

# After a change to the English prose: extract its messages (Sphinx's gettext builder, into
# _build/gettext) and merge them into locales/ko (sphinx-intl): a changed paragraph becomes fuzzy,
# a new one untranslated. The package's own texts (the quiz's feedback, hints, explanations) go the
# same way into unet_course/locale/ko, compiled for the package (scripts/package_catalog.py).
# scripts/translation_status.py counts what is left to translate in both.
translations: venv
	$(PY) scripts/translation_status.py --extract-only _build/gettext
	$(VENV)/bin/sphinx-intl update -p _build/gettext -l ko -d locales
	$(PY) scripts/package_catalog.py
	$(PY) scripts/translation_status.py

# WORKERS pytest processes (pytest-xdist) share the tests; nbval keeps each notebook on one worker
# (--dist loadfile: its cells run in order in one kernel). WORKERS=1 runs everything in one process.
test: venv
	$(PY) -m pytest $(XDIST_STEAL) --durations=15 tests
	$(PY) -m pytest $(XDIST_FILES) --nbval-lax --nbval-sanitize-with tests/sanitize.cfg -p no:cacheprovider notebooks/*.ipynb notebooks/ko

# The browser tests (tests/browser): the built book in headless Chromium. Debian's chromium and a
# Korean font come from apt-get (as root, else with sudo) when missing; Playwright's Python
# package from tests/browser/requirements.txt. Playwright never downloads a browser here.
.PHONY: browser-deps test-browser
BROWSER_APT := chromium fonts-nanum fontconfig
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

browser-deps: venv $(VENV)/.browser-installed
	@if command -v chromium >/dev/null 2>&1 && fc-list :lang=ko family 2>/dev/null | grep -q .; then \
		echo "browser-deps: chromium and a Korean font are installed"; \
	elif command -v apt-get >/dev/null 2>&1; then \
		echo "browser-deps: apt-get install $(BROWSER_APT)"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(BROWSER_APT) > /dev/null; \
	else \
		echo "browser-deps: no apt-get here; install Chromium and a Korean font yourself (the tests skip without them)"; \
	fi

$(VENV)/.browser-installed: tests/browser/requirements.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -c constraints.txt -r tests/browser/requirements.txt
	touch $@

test-browser: browser-deps book
	$(PY) -m pytest $(XDIST) tests/browser

# The full profile on a CUDA GPU: the paper-size U-Net, real training, the large tiling demo.
# On a GPU machine without this venv: `make test-gpu PY=python3` (scripts/gpu_wheels.sh brings
# the notebook tools as wheels for a machine without a package index).
.PHONY: test-gpu gpu-check bench bench-deps
test-gpu:
	@$(PY) -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 'make test-gpu needs a CUDA GPU (torch.cuda.is_available() is False); make test runs the quick profile on a CPU')"
	UNET_COURSE_PROFILE=full $(PY) -m pytest tests
	UNET_COURSE_PROFILE=full $(PY) -m pytest --nbval-lax --nbval-sanitize-with tests/sanitize.cfg -p no:cacheprovider notebooks/*.ipynb

# One command for a GPU machine (scripts/gpu_check.py): unit tests, every notebook under nbval in the
# full profile and the benchmarks bounded to 2 minutes, each step with its own time limit, all in
# under 10 minutes; logs, times.json and the benchmark table go to OUT. Without CUDA it stops at once.
OUT ?= _build/gpu-check
gpu-check:
	$(PY) scripts/gpu_check.py --out $(OUT)

# Benchmarks (benchmarks/run_all.py): one table of every comparison on the device at hand.
# BENCH_ARGS=--quick for a short run; --out FILE writes it as Markdown.
bench-deps: venv $(VENV)/.bench-installed

$(VENV)/.bench-installed: requirements-bench.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -c constraints.txt --no-deps -r requirements-bench.txt
	touch $@

bench: bench-deps
	$(PY) benchmarks/run_all.py $(BENCH_ARGS)

outputs: venv
	$(PY) scripts/run_notebooks.py notebooks/*.ipynb

# The Korean edition's runnable notebooks (notebooks/ko/, committed): the English code cells and
# outputs, the Markdown rebuilt from the catalogs in locales/ko/ (scripts/make_korean.py).
korean: venv
	$(PY) scripts/make_korean.py notebooks notebooks/ko

# The learner's edition (learner/, committed: the book's Binder and Colab buttons open it; the
# download button serves the same transformation, made during `make book`); learner/ko/ is the
# Korean one, made from notebooks/ko/.
student: venv korean
	$(PY) scripts/make_student.py notebooks learner
	$(PY) scripts/make_student.py notebooks/ko learner/ko

# `make lab LANG=ko` opens the Korean notebooks. LANG is also the locale variable, and make hands
# a command-line LANG to the recipe: with LANG=ko, Jupyter starts without it (ko is no locale),
# so the locale comes from LC_ALL/LC_* or Python's UTF-8 default. Plain `make lab` is unchanged.
LAB_KO := $(filter ko,$(LANG))
lab: venv
	$(if $(LAB_KO),env -u LANG) $(VENV)/bin/jupyter lab $(if $(LAB_KO),notebooks/ko,notebooks)

clean:
	rm -rf _build student
