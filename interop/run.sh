#!/usr/bin/env bash
# Runs the Python interop suite (outside judges: transformers, TRL, datasets, PEFT, llama.cpp) against radpo.
# Builds radpo first, creates the cached virtual environment, then runs pytest. Exit code is pytest's.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cli/main.js ] || npm run build
py="$(bash interop/setup.sh)"
"$py" -m pytest -q interop/tests "$@"
