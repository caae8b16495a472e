#!/usr/bin/env bash
# Set up the environments from the pinned requirements and run the whole test suite twice:
# on Blender 5.0 (.venv: bpy 5.0.1, Python 3.11, with torch) and on Blender 5.2 (.venv313:
# bpy 5.2.3, Python 3.13, no torch: training/ and torch comparisons skip, and the zip test
# installs the linux-x64 zip into .venv313-bare). Both run even if the first fails; the exit
# status is non-zero if either failed. Extra arguments go to both pytest runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
status=0
for venv in .venv .venv313; do
  echo "=== $venv: $("$venv/bin/python" -c 'import sys, bpy; print("Blender", bpy.app.version_string, "/ Python", sys.version.split()[0])')"
  start=$SECONDS
  "$venv/bin/python" -m pytest -q "$@" || status=$?
  echo "=== $venv: $((SECONDS - start)) s"
done
exit $status
