#!/usr/bin/env bash
# Builds bindings/node/build/annaruntime.node: one plain-C N-API addon, no
# node-gyp, no npm. Called by `make build`; can be run by hand.
#
#   bindings/node/build.sh
#
# Environment:
#   ANNARUNTIME_LIBRARY_DIR  directory holding libannaruntime.so
#                            (default: <repo>/.build/release)
#   NODE_INCLUDE_DIR         Node headers (default: /usr/include/node)
#   CC, CFLAGS               compiler and extra flags (default: cc, -O2)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
libdir="${ANNARUNTIME_LIBRARY_DIR:-$repo/.build/release}"
libdir="$(cd "$libdir" && pwd)"
nodeinc="${NODE_INCLUDE_DIR:-/usr/include/node}"
cc="${CC:-cc}"

if [ ! -e "$libdir/libannaruntime.so" ]; then
  echo "build.sh: $libdir/libannaruntime.so not found (build it with: swift build -c release --product annaruntime," >&2
  echo "          or point ANNARUNTIME_LIBRARY_DIR at its directory)" >&2
  exit 1
fi
if [ ! -e "$nodeinc/node_api.h" ]; then
  echo "build.sh: $nodeinc/node_api.h not found (set NODE_INCLUDE_DIR)" >&2
  exit 1
fi

mkdir -p "$here/build"
# Library lookup at run time (DT_RUNPATH): LD_LIBRARY_PATH first, then the
# directory the library was found in at build time, then the addon's own
# directory ($ORIGIN: copy libannaruntime.so.0 next to the .node to ship it).
$cc -std=c11 -O2 ${CFLAGS:-} -Wall -Wextra -Werror -fPIC -shared -pthread \
  -fvisibility=hidden \
  -I"$nodeinc" -I"$repo/include" \
  "$here/addon.c" \
  -L"$libdir" -lannaruntime -Wl,--enable-new-dtags -Wl,-rpath,"$libdir:\$ORIGIN" \
  -o "$here/build/annaruntime.node.tmp"
mv -f "$here/build/annaruntime.node.tmp" "$here/build/annaruntime.node"
echo "built $here/build/annaruntime.node (library: $libdir)"
