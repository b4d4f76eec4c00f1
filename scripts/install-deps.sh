#!/usr/bin/env bash
# Installs what the build and the test suites need on a fresh machine:
# system packages (cmake, libjansson-dev, pkg-config, openssl) and the Python venv
# with the reference runtime (.venv-ref, see setup-venv.sh). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
pkg-config --exists jansson 2>/dev/null || need+=(libjansson-dev)
# The https tests make throwaway certificates with the openssl CLI; https
# itself loads the system libssl at run time.
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "installing system packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
# The demo needs only the system packages; the tests also need the venv.
if [ "${1:-}" != "--build-only" ]; then
  scripts/setup-venv.sh
fi
