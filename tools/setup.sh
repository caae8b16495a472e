#!/usr/bin/env bash
# Create .venv in the repo root from the pinned requirements (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
fi
if ! .venv/bin/python -c "import bpy, mediapipe, torch, cv2, scipy, pytest" 2>/dev/null \
   || [ requirements.txt -nt .venv/.installed ] || [ requirements-dev.txt -nt .venv/.installed ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r requirements-dev.txt
  touch .venv/.installed
fi
# assimp: the independent FBX reader the export tests use (Debian package).
if ! command -v assimp >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && apt-get install -y -qq assimp-utils) >/dev/null 2>&1 \
    || echo "note: assimp-utils could not be installed; the assimp check will be skipped"
fi
