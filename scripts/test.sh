#!/usr/bin/env bash
# Install careerbot with its test tools (and Debian's chromium for the browser tests), then run pytest.
source "$(dirname "$0")/bootstrap.sh" requirements-dev.txt
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian chromium for the browser tests" >&2
  SUDO=$(command -v sudo || true)
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
fi
exec .venv/bin/python -m pytest "$@"
