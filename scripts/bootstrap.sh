# Sourced by run.sh and test.sh: a virtualenv ($VENV, default .venv) with the given requirements installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
if ! "$PYTHON" -m venv --help >/dev/null 2>&1; then
  echo "python3 venv support is missing; installing python3-venv" >&2
  $(command -v sudo || true) apt-get update -qq && $(command -v sudo || true) apt-get install -y -qq python3-venv
fi
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
# llama-cpp-python (the optional `local` backend) compiles llama.cpp: built for ggml's portable x86-64 set (AVX2), not
# the build machine's own instruction set, whose AVX-512 build crashed (SIGSEGV) on its first decode on one of ours.
# Flags a user passes come after, so theirs win. A build already installed (or in pip's wheel cache) is not redone:
# `pip install --force-reinstall --no-cache-dir llama-cpp-python==0.3.36` replaces one.
export CMAKE_ARGS="-DGGML_NATIVE=OFF ${CMAKE_ARGS:-}"
"$VENV/bin/python" -m pip install -q -r "$1"
# careerbot itself, editable and without dependencies (requirements*.txt pin those): the careerbot-ingest,
# -serve, -eval and -report commands.
"$VENV/bin/python" -m pip install -q --no-deps -e .
# A dependency conflict fails here, before anything runs on a broken environment.
"$VENV/bin/python" -m pip check
