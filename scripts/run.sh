#!/usr/bin/env bash
# Install careerbot into .venv and start the web app (ingests knowledge/ on first start). Args go to app.py.
source "$(dirname "$0")/bootstrap.sh" requirements.txt
exec .venv/bin/python app.py "$@"
