#!/usr/bin/env bash
# Create the test environments from the pinned requirements, and fetch the extension's wheels
# (idempotent; each step is skipped when already done):
#   .venv          Blender 5.0: Python 3.11, bpy 5.0.1, torch (CPU), mediapipe 0.10.21 (requirements-dev.txt)
#   .venv313       Blender 5.2: Python 3.13, bpy 5.2.3, mediapipe 1.2.3, no torch (requirements-313.txt)
#   .venv-bare, .venv313-bare  only bpy 5.0.1 / 5.2.3 and their own dependencies
#                  (requirements-bare.txt, requirements-313-bare.txt): the "fresh Blender 5.0 /
#                  5.2" the zip tests install the extension into
#   wheels/        the wheels the extension zip bundles (tools/fetch_wheels.py, hashes checked)
# The large .venv install runs in the background while the others are made.
set -euo pipefail
cd "$(dirname "$0")/.."

python311() {  # python311 <dir>: a Python 3.11 venv
  [ -x "$1/bin/python" ] || python3.11 -m venv "$1" 2>/dev/null || python3 -m venv "$1"
}

# --- .venv: Python 3.11 / bpy 5.0.1, torch (background) ------------------------------------
setup_venv() {
  python311 .venv
  if ! .venv/bin/python -c "import bpy, mediapipe, torch, cv2, pytest" 2>/dev/null \
     || [ requirements.txt -nt .venv/.installed ] || [ requirements-dev.txt -nt .venv/.installed ]; then
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -r requirements-dev.txt
    touch .venv/.installed
  fi
}
setup_venv &
venv_job=$!
wait_venv() {
  if ! wait "$venv_job"; then
    echo "tools/setup.sh: installing requirements-dev.txt into .venv failed (see above)" >&2
    exit 1
  fi
}

# --- .venv-bare: bpy 5.0.1 only -------------------------------------------------------------
python311 .venv-bare
if [ requirements-bare.txt -nt .venv-bare/.installed ] || ! .venv-bare/bin/python -c "import bpy" 2>/dev/null; then
  .venv-bare/bin/pip install -q --upgrade pip
  .venv-bare/bin/pip install -q --no-deps -r requirements-bare.txt   # every version pinned in the file
  touch .venv-bare/.installed
fi

# --- Python 3.13 (Blender 5.1+): pyenv's 3.13.x, or $PYTHON313 --------------------------------
find_python313() {
  local candidates=()
  [ -n "${PYTHON313:-}" ] && candidates+=("$PYTHON313")
  command -v python3.13 >/dev/null 2>&1 && candidates+=("$(command -v python3.13)")
  if command -v pyenv >/dev/null 2>&1; then
    local v
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.13(\.[0-9]+)?$' || true); do
      candidates+=("$(pyenv root)/versions/$v/bin/python3.13")
    done
  fi
  local py
  for py in "${candidates[@]}"; do
    # A pyenv shim answers "command not found" unless PYENV_VERSION selects 3.13: check it runs.
    if [ -x "$py" ] && "$py" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
      echo "$py"; return 0
    fi
  done
  return 1
}
venv313() {  # venv313 <dir> <requirements file>: a Python 3.13 venv with exactly those pins
  local dir=$1 req=$2
  if [ ! -x "$dir/bin/python" ]; then
    "$PY313" -m venv "$dir"
  fi
  if [ "$req" -nt "$dir/.installed" ] || [ requirements-313-bare.txt -nt "$dir/.installed" ] \
     || ! "$dir/bin/python" -c "import bpy" 2>/dev/null; then
    "$dir/bin/pip" install -q --upgrade pip
    "$dir/bin/pip" install -q --no-deps -r "$req"   # every version pinned in the file
    touch "$dir/.installed"
  fi
}
if [ ! -x .venv313/bin/python ] || [ ! -x .venv313-bare/bin/python ] \
   || [ requirements-313.txt -nt .venv313/.installed ] || [ requirements-313-bare.txt -nt .venv313-bare/.installed ]; then
  if ! PY313=$(find_python313); then
    wait_venv
    echo "tools/setup.sh: Python 3.13 not found. Blender 5.1 and 5.2 run Python 3.13, and the" >&2
    echo "  5.2 tests need it (.venv313, .venv313-bare). Install it (e.g. 'pyenv install 3.13.0')" >&2
    echo "  or point PYTHON313 at a python3.13, then run tools/setup.sh again. (.venv is ready.)" >&2
    exit 1
  fi
  venv313 .venv313 requirements-313.txt
  venv313 .venv313-bare requirements-313-bare.txt
fi

# --- wheels/: what the extension zip bundles -------------------------------------------------
.venv-bare/bin/python tools/fetch_wheels.py

# assimp: the independent FBX reader the export tests use (Debian package).
if ! command -v assimp >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && apt-get install -y -qq assimp-utils) >/dev/null 2>&1 \
    || echo "note: assimp-utils could not be installed; the assimp check will be skipped"
fi
wait_venv
