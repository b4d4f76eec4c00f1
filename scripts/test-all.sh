#!/usr/bin/env bash
# Runs every test suite, each with its own runner and summary line, and
# fails if any of them failed. Used by `make test` and by CI (.ci/run).
set -uo pipefail
cd "$(dirname "$0")/.."
export TZ=UTC
PY=.venv-ref/bin/python
failed=()

suite() {
  local name=$1; shift
  echo
  echo "=== $name: $*"
  if "$@"; then echo "=== $name: ok"; else echo "=== $name: FAILED"; failed+=("$name"); fi
}

suite "swift"         swift test --parallel
suite "c (ctest)"     bash -c "cd build && ctest --output-on-failure"
suite "python"        $PY -m pytest -q tests/python tests/plugins tests/sdk
suite "node"          node --test tests/node
suite "conformance"   $PY tests/differential/run.py --seed 1 --requests 2000
# plugin protocol against the reference executa pool, frame by frame (~1 min)
suite "plugins-differential" $PY tests/differential/plugins_diff.py

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED suites: ${failed[*]}"
  exit 1
fi
echo "all suites passed"
