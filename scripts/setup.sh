#!/usr/bin/env bash
# Create .venv and install text2ml with the embedded model. Safe to re-run.
# torch is installed first and pinned: a looser requirement would pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
# The sandbox's box around generated code is bubblewrap (docs/sandbox.md). Without it, code
# still runs, unboxed, and every run says so; so a failed install only warns.
if ! command -v bwrap >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi
  $SUDO apt-get install -y -qq bubblewrap >/dev/null 2>&1 \
    || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq bubblewrap >/dev/null; } \
    || echo "setup: could not install bubblewrap; generated code will run unboxed" >&2
fi
# PostgreSQL for the distributed-workers tests (tests/optimization/test_postgres_workers.py
# starts its own server from these binaries; the package's own cluster is not used). Without
# it those tests are skipped and say why.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1 \
    || { $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive \
         apt-get install -y -qq postgresql >/dev/null 2>&1; } \
    || echo "setup: could not install postgresql; the PostgreSQL worker tests will be skipped" >&2
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet 'torch==2.13.0'
# llama-cpp-python compiles once (about 9 minutes on 2 cores) into a wheel kept under the
# user cache. It is built portable (AVX2/FMA, no AVX-512 or AMX): a -march=native build
# crashed with "Illegal instruction" at the first token on a VM whose CPU reports AMX.
LLAMA_WHEELS=${TEXT2ML_WHEEL_CACHE:-$HOME/.cache/text2ml-build/wheels-portable}
LLAMA_VERSION=0.3.36
if ! ls "$LLAMA_WHEELS"/llama_cpp_python-$LLAMA_VERSION-*.whl >/dev/null 2>&1; then
  mkdir -p "$LLAMA_WHEELS"
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF" \
    .venv/bin/python -m pip wheel --quiet --no-deps --no-cache-dir -w "$LLAMA_WHEELS" \
    "llama-cpp-python==$LLAMA_VERSION"
fi
.venv/bin/python -m pip install --quiet --no-deps --force-reinstall \
  "$LLAMA_WHEELS"/llama_cpp_python-$LLAMA_VERSION-*.whl
# The distribution was once named text2ml (a name another PyPI project owns): drop it.
.venv/bin/python -m pip uninstall --quiet --yes text2ml 2>/dev/null || true
.venv/bin/python -m pip install --quiet -e '.[embedded,datasets,test,postgres]'
