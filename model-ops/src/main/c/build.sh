#!/usr/bin/env bash
# Compiles the mask kernels into OUT_DIR/native/<os>-<arch>/libcpmask.so for the jar.
# Usage: build.sh OUT_DIR JAVA_HOME. Without a C compiler it warns and stops: the pruner then
# falls back to its Java path (same masks, slower), so the build still works everywhere.
set -euo pipefail
out_dir=$1
java_home=$2
src=$(cd "$(dirname "$0")" && pwd)/mask_kernels.c

cc=${CC:-}
if [ -z "$cc" ]; then
  for candidate in cc gcc clang; do
    if command -v "$candidate" >/dev/null 2>&1; then cc=$candidate; break; fi
  done
fi
if [ -z "$cc" ]; then
  echo "[WARNING] no C compiler found: the native mask kernels are left out (masks are computed in Java, more slowly)" >&2
  exit 0
fi

os=$(uname -s | tr '[:upper:]' '[:lower:]')
arch=$(uname -m)
target="$out_dir/native/$os-$arch"
mkdir -p "$target"
include="$java_home/include"
"$cc" -O3 -std=c11 -fPIC -shared -Wall -Wextra -Werror \
  -I"$include" -I"$include/$os" \
  -o "$target/libcpmask.so" "$src"
