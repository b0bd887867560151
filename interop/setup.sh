#!/usr/bin/env bash
# Creates (or reuses) the cached virtual environment of the interop suite; prints its python path.
# The cache key is the hash of requirements.txt, so a changed pin builds a fresh environment.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
key="$(sha256sum "$here/requirements.txt" | cut -c1-16)"
venv="${RADPO_INTEROP_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/radpo/interop-venv-$key}"
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv" >&2
  "$venv/bin/python" -m pip install -q --upgrade pip >&2
  "$venv/bin/python" -m pip install -q -r "$here/requirements.txt" >&2
  touch "$venv/.complete"
fi
echo "$venv/bin/python"
