#!/bin/sh
# Lays out the pinned llama.cpp libraries for this platform under build/engine/lib/<os>-<arch>,
# with the plain names yzma's loader opens (libllama.so, libggml.so) linked to the versioned
# files the npm package ships. ggml picks its CPU/Metal backend from the same folder at run time.
set -eu
cd "$(dirname "$0")"
os=$(go env GOOS); arch=$(go env GOARCH)
case "$os-$arch" in
  linux-amd64)  pkg=linux-x64;        bins=linux-x64;        ext=so ;;
  darwin-arm64) pkg=mac-arm64-metal;  bins=mac-arm64-metal;  ext=dylib ;;
  *) echo "perch: no pinned llama.cpp build for $os-$arch (supported: linux-amd64, darwin-arm64)" >&2; exit 1 ;;
esac
src=${PERCH_ENGINE_SRC:-node_modules/@node-llama-cpp/$pkg/bins/$bins}
if [ ! -d "$src" ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
dst=lib/$os-$arch
rm -rf "$dst.tmp"; mkdir -p "$dst.tmp"
cp -p "$src"/*."$ext" "$dst.tmp"/ 2>/dev/null || true
[ "$ext" = dylib ] && cp -p "$src"/*.so "$dst.tmp"/ 2>/dev/null || true
cp -p "$src"/_nlcBuildMetadata.json "$dst.tmp"/
cd "$dst.tmp"
for name in llama ggml; do
  v=$(ls lib$name.*v[0-9]*.$ext 2>/dev/null | head -n 1)
  [ -n "$v" ] || { echo "perch: lib$name not found in $src" >&2; exit 1; }
  ln -sf "$v" "lib$name.$ext"
done
cd ..
rm -rf "$os-$arch"; mv "$os-$arch.tmp" "$os-$arch"
echo "engine runtime: build/engine/$dst"
