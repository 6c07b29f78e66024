# Lectern: `make run` serves the app; `make test` checks everything. Both set themselves up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
export FLASK_APP := wsgi.py

PO_FILES := $(wildcard lectern/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test install install-test migrate demo-data messages cc-deps browser-deps turn-deps media-deps js-deps lint-js lock clean

# gunicorn (deploy/gunicorn.conf.py) starts a relay process and a job worker beside the web app, and stops them with
# it on Ctrl-C.
run: install migrate media-deps
	$(BIN)/flask lectern demo-data --if-empty
	$(BIN)/gunicorn -c deploy/gunicorn.conf.py --bind 127.0.0.1:$(PORT) wsgi:app

test: install-test browser-deps turn-deps media-deps js-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	npm run --silent lint
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

install: $(VENV)/.installed $(MO_FILES)
install-test: $(VENV)/.installed-test $(MO_FILES)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# requirements.lock pins every package to the versions the suite last passed with.
$(VENV)/.installed: $(VENV)/bin/python pyproject.toml setup.py requirements.lock lectern/webrtc/relay/_fanout.c
	@$(MAKE) --no-print-directory cc-deps
	$(BIN)/pip install --quiet -c requirements.lock -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test]'
	touch $@

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

migrate: install
	$(BIN)/flask db upgrade

demo-data: migrate
	$(BIN)/flask lectern demo-data

# Extract the translatable strings and merge them into every catalogue (then translate the new ones).
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ --no-location --sort-output -w 120 -o lectern/translations/messages.pot lectern
	$(BIN)/pybabel update -i lectern/translations/messages.pot -d lectern/translations --no-fuzzy-matching --ignore-obsolete -w 120

# Browser tests drive Debian's Chromium (never a downloaded build) with a fake camera.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-dejavu-core; }

# The relay's fan-out loop is C (lectern/webrtc/relay/_fanout.c, setup.py): `pip install -e .` compiles it, with a C
# compiler and the headers of the Python the virtualenv runs (Debian's python3-dev for Debian's python3).
cc-deps:
	@command -v cc >/dev/null 2>&1 && [ -f "$$($(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h" ] || { \
	  echo "Installing Debian's gcc and python3-dev for the relay's compiled fan-out"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq gcc python3-dev; }

# The replays of recorded lectures are made by Debian's ffmpeg (5.1 or later: lectern/webrtc/recordings/ffmpeg.py),
# run by the job worker that `make run` starts.
media-deps:
	@command -v ffmpeg >/dev/null 2>&1 || { \
	  echo "Installing Debian's ffmpeg for the replays of recorded lectures"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq ffmpeg; }

# The TURN tests start Debian's coturn on loopback (tests/webrtc/coturn.py). The package enables a system service
# that would serve anyone on port 3478 with Debian's default configuration: on a machine with systemd, stop it.
turn-deps:
	@command -v turnserver >/dev/null 2>&1 || { \
	  echo "Installing Debian's coturn for the TURN tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq coturn openssl; \
	  if [ -d /run/systemd/system ]; then $$SUDO systemctl disable --now coturn; fi; }

# The browser JavaScript is served as written (no build step); ESLint and tsc (JSDoc types) check it. package.json
# pins them and package-lock.json everything they bring; Node.js comes from Debian where the machine has none.
js-deps: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
	  echo "Installing Debian's nodejs and npm for the JavaScript checks"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm; }
	npm ci --no-audit --no-fund
	touch $@

lint-js: js-deps
	npm run --silent lint

lock: $(VENV)/.installed-test
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache $(MO_FILES)
