#!/bin/sh
# check-exports.sh LIB HEADER — the library exports exactly the header's C API.
#
#   1. The global functions in the dynamic symbol table (`nm -D
#      --defined-only`, type T) equal the functions declared in HEADER
#      (comments removed by the preprocessor first); differences are listed.
#      Any other global (upper-case) defined symbol is an unexpected export.
#   2. `ldd LIB` shows no libswift* / libFoundation* dependency: the Swift
#      runtime is linked statically, so hosts need no Swift toolchain.
#   3. The SONAME (`readelf -d`) is libannaruntime.so.0.
# Exit status 0 when all hold, 1 otherwise (2 on usage/tool errors).
set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 LIB HEADER" >&2
    exit 2
fi
LIB=$1
HEADER=$2
CC=${CC:-cc}
for f in "$LIB" "$HEADER"; do
    if [ ! -r "$f" ]; then
        echo "check-exports: cannot read $f" >&2
        exit 2
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-exports.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
status=0

# --- 1. exports vs declarations ---------------------------------------------
if ! nm -D --defined-only "$LIB" >"$tmp/nm" 2>"$tmp/nm.err"; then
    echo "check-exports: nm -D failed: $(cat "$tmp/nm.err")" >&2
    exit 2
fi
awk '$2 == "T" { print $3 }' "$tmp/nm" | sed 's/@.*//' | sort -u >"$tmp/exported"
awk '$2 ~ /^[A-Z]$/ && $2 != "T" { print $2 " " $3 }' "$tmp/nm" | sort -u >"$tmp/other"

# Function declarations: names followed by "(" once comments are gone; the
# callback typedef "(*anna_host_call_fn)(" is not followed by "(" directly.
if ! "$CC" -E -P -x c "$HEADER" >"$tmp/pp" 2>"$tmp/pp.err"; then
    echo "check-exports: preprocessing $HEADER failed: $(cat "$tmp/pp.err")" >&2
    exit 2
fi
grep -oE '\banna_[A-Za-z0-9_]+[[:space:]]*\(' "$tmp/pp" | sed 's/[[:space:]]*($//' | sort -u >"$tmp/declared"

if [ ! -s "$tmp/declared" ]; then
    echo "check-exports: no function declarations found in $HEADER" >&2
    exit 2
fi

missing=$(comm -23 "$tmp/declared" "$tmp/exported")
extra=$(comm -13 "$tmp/declared" "$tmp/exported")
if [ -n "$missing" ]; then
    echo "FAIL: declared in $(basename "$HEADER") but not exported by $(basename "$LIB"):"
    echo "$missing" | sed 's/^/    /'
    status=1
fi
if [ -n "$extra" ]; then
    echo "FAIL: exported by $(basename "$LIB") but not declared in $(basename "$HEADER"):"
    echo "$extra" | sed 's/^/    /'
    status=1
fi
if [ -s "$tmp/other" ]; then
    echo "FAIL: unexpected global symbols (not functions of the API):"
    sed 's/^/    /' "$tmp/other"
    status=1
fi

# --- 2. no Swift runtime dependency -------------------------------------------
if ! ldd "$LIB" >"$tmp/ldd" 2>&1; then
    echo "FAIL: ldd $LIB failed:"
    sed 's/^/    /' "$tmp/ldd"
    status=1
fi
if grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime' "$tmp/ldd" >"$tmp/swiftdeps"; then
    echo "FAIL: $(basename "$LIB") needs the Swift runtime:"
    sed 's/^/    /' "$tmp/swiftdeps"
    status=1
fi
if grep -q 'not found' "$tmp/ldd"; then
    echo "FAIL: unresolved dependencies:"
    grep 'not found' "$tmp/ldd" | sed 's/^/    /'
    status=1
fi

# --- 3. SONAME ------------------------------------------------------------------
soname=$(readelf -d "$LIB" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$soname" != "libannaruntime.so.0" ]; then
    echo "FAIL: SONAME is '${soname:-<none>}', expected 'libannaruntime.so.0'"
    status=1
fi

n=$(wc -l <"$tmp/declared" | tr -d ' ')
if [ $status -eq 0 ]; then
    echo "check-exports: $n functions exported = declared; no Swift runtime dependency; SONAME libannaruntime.so.0"
fi
exit $status
