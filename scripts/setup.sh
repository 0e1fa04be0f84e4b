#!/usr/bin/env bash
# Create .venv and install text2ml with the embedded model. Safe to re-run.
# torch is installed first and pinned: a looser requirement would pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet 'torch==2.13.0'
# llama-cpp-python compiles once (about 9 minutes on 2 cores); pip caches the wheel afterwards.
# The distribution was once named text2ml (a name another PyPI project owns): drop it.
.venv/bin/python -m pip uninstall --quiet --yes text2ml 2>/dev/null || true
.venv/bin/python -m pip install --quiet -e '.[embedded,datasets,test]'
