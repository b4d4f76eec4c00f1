#!/usr/bin/env bash
# Creates .venv-ref/ with the reference runtime (the oracle of the
# differential tests and benchmarks), the plugin test kit and pytest.
# Idempotent: does nothing when the venv already has everything.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-ref
PKGS="anna-app-core==0.26.1 anna-app-runtime-local==0.2.0a30 anna-executa-test==0.1.1 pytest"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import anna_app_core, anna_app_runtime_local, anna_executa_test, pytest" 2>/dev/null; then
  exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check $PKGS
