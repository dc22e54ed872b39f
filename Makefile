# Two commands: `make run` and `make test`. Both work on a fresh machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint format install migrate demo translations messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# SECRET_KEY is made once per checkout and kept in var/ (git-ignored).
var/secret_key:
	mkdir -p var
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key

migrate: $(STAMP) var/secret_key
	SECRET_KEY=$$(cat var/secret_key) $(BIN)/python manage.py migrate --noinput

# The .mo catalogues from the checked-in .po files (pure Python, no gettext needed).
translations: $(STAMP)
	$(BIN)/python -m zenlogs.translations

# After changing strings: the .po files again from the sources (needs GNU gettext's
# xgettext and msgmerge: apt-get install gettext). Then translate what is new, see README.
messages: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py makemessages --all --no-location $(MESSAGES_IGNORE)
	DEBUG=1 $(BIN)/python manage.py makemessages --all --no-location -d djangojs $(MESSAGES_IGNORE)

MESSAGES_IGNORE := --ignore=.venv --ignore=var --ignore=tests --ignore=bench --ignore=docs

demo: migrate
	SECRET_KEY=$$(cat var/secret_key) $(BIN)/python manage.py load_demo

run: demo translations
	SECRET_KEY=$$(cat var/secret_key) $(BIN)/python manage.py collectstatic --noinput -v 0
	@echo ""
	@echo "  ZenLogs is at http://127.0.0.1:$(PORT)/  (sign in as demo / demo)"
	@echo ""
	SECRET_KEY=$$(cat var/secret_key) $(BIN)/gunicorn zenlogs.wsgi:application \
		--bind 127.0.0.1:$(PORT) --workers 2 --threads 4 --access-logfile -

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint translations
	DEBUG=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var/staticfiles .pytest_cache .ruff_cache
