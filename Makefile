# The two commands of the README. Each sets up what it needs on a fresh machine.
#   make demo   one full cycle on the embedded default (SQLite, demo articles, outputs on disk)
#   make test   the whole test suite (SQLite and PostgreSQL, real SMTP and HTTP on loopback)
#   make lint   ruff check, ruff format --check and mypy (strict) — what CI enforces
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint system-deps clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[all,test,lint]'
	touch $@

# The demo subscribers (fictitious @example addresses) make the digest land in outbox/mail as .eml;
# importing them again changes nothing.
demo: $(BIN)/.installed
	$(BIN)/nashra --quiet --demo subscribers import src/nashra/demo/subscribers.csv
	$(BIN)/nashra run --once

# Chromium renders digests for the RTL browser tests; Postfix's smtp-sink/smtp-source serve bench/.
# FriBiDi lets Pillow's libraqm shape share cards (without it cards refuse to render); tesseract with
# its Arabic data reads cards back in the card tests.
system-deps:
	@dpkg -s libfribidi0 >/dev/null 2>&1 || { \
	  echo "installing Debian's libfribidi0 for Pillow's text shaping (share cards)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libfribidi0 >/dev/null; }
	@{ command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx ara; } || { \
	  echo "installing Debian's tesseract-ocr and its Arabic data for the share-card tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-ara >/dev/null; }
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core >/dev/null; }
	@test -x /usr/sbin/smtp-sink || { \
	  echo "installing Debian's postfix (unconfigured) for smtp-sink and smtp-source"; \
	  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null; }

test: $(BIN)/.installed system-deps
	$(BIN)/pytest

# The house rules: lint, formatting and types. CI runs this before the tests.
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) data public outbox .pytest_cache
