#!/usr/bin/env bash
# Builds the annaruntime wheel with libannaruntime.so inside it.
#   bindings/python/build_wheel.sh [--install] [PYTHON]
# Builds the library first if it is missing (swift build -c release --product
# annaruntime); setup.py copies it into the wheel (from $ANNARUNTIME_LIBRARY,
# default .build/release/libannaruntime.so). Writes bindings/python/dist/*.whl;
# with --install, also pip-installs it into PYTHON (default: python3). Using
# the wheel needs no Swift toolchain.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
INSTALL=0
if [ "${1:-}" = "--install" ]; then INSTALL=1; shift; fi
PY="${1:-python3}"

LIB="${ANNARUNTIME_LIBRARY:-$REPO/.build/release/libannaruntime.so}"
if [ ! -f "$LIB" ]; then
  (cd "$REPO" && swift build -c release --product annaruntime)
  LIB="$REPO/.build/release/libannaruntime.so"
fi
export ANNARUNTIME_LIBRARY="$(readlink -f "$LIB")"
rm -f "$HERE"/dist/annaruntime-*.whl
"$PY" -m pip wheel --no-deps -w "$HERE/dist" "$HERE"
rm -rf "$HERE/build" "$HERE"/*.egg-info   # in-tree build leftovers
WHEEL="$(ls "$HERE"/dist/annaruntime-*.whl)"
echo "built $WHEEL"
if [ "$INSTALL" = 1 ]; then
  "$PY" -m pip install --force-reinstall --no-deps "$WHEEL"
fi
