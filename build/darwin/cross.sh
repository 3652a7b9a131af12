#!/usr/bin/env bash
# Cross-builds Perch for macOS on Apple Silicon (darwin/arm64) from Linux with Debian's clang and
# lld and an unmodified macOS SDK tree (MACOS_SDK: headers and .tbd stubs; never committed, its
# license forbids redistribution). What the SDK lacks for this is made once in a cache of the
# build's own (build/.cache/macos-sdk), never inside MACOS_SDK:
#   - a macOS WebKit.framework: the SDK has WebKit only for Mac Catalyst (System/iOSSupport);
#     its .tbd stubs are rewritten for macos with the /System/Library install name;
#   - bin/ld64.lld: Go's linker passes --compress-debug-sections, which ld64.lld rejects;
#     clang finds this wrapper first through -B (and bin/strip, LLVM's, for Mach-O);
#   - stub.o: ___isPlatformVersionAtLeast (from @available) is in Apple's compiler-rt, which
#     Debian's clang lacks; given to the final link only (per cgo package it would be a
#     duplicate symbol). A binary linked with it answers every @available with yes: it is for
#     checking that Perch links, the real app is linked by Xcode's toolchain.
#
#   cross.sh env          prints the environment (export lines) of the cross toolchain
#   cross.sh build [OUT]  builds the desktop binary (default build/bin/darwin-arm64/perch) and
#                         the worker-only perch-engine beside it
#   cross.sh engine       lays out build/engine/lib/darwin-arm64 (npm --os=darwin --cpu=arm64)
#   cross.sh go ARGS...   runs go with the cross environment (go vet, go test -c ...)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

. build/darwin/bundle.sh
# The oldest macOS Perch runs on is Info.plist's LSMinimumSystemVersion (the README states it
# too). The executable is built for it, or for the SDK's own version where the SDK is older: an
# SDK's headers cannot target a newer macOS (Wails' code then uses APIs the headers lack). The
# bundle's minimum is still the highest of its parts (inspect.sh checks it).
APP_MIN=$(plist_min)
TAGS=desktop,production
VERSION=${VERSION:-0.1.0}
CACHE=$ROOT/build/.cache/macos-sdk
LLVM_BIN=${LLVM_BIN:-/usr/lib/llvm-14/bin}

die() { echo "darwin: $*" >&2; exit 1; }

sdk_dir() {
	[ -n "${MACOS_SDK:-}" ] || die "set MACOS_SDK to a macOS SDK folder (one with SDKSettings.json and System/Library/Frameworks)"
	[ -f "$MACOS_SDK/SDKSettings.json" ] && [ -d "$MACOS_SDK/System/Library/Frameworks" ] ||
		die "MACOS_SDK=$MACOS_SDK is not a macOS SDK (no SDKSettings.json or System/Library/Frameworks)"
	(cd "$MACOS_SDK" && pwd -P)
}

# target_min SDK: the macOS version the executable is built for.
target_min() {
	local v
	v=$(grep -o '"Version":"[0-9.]*"' "$1/SDKSettings.json" | grep -o '[0-9][0-9.]*' || true)
	[ -n "$v" ] || die "no Version in $1/SDKSettings.json"
	printf '%s\n%s\n' "$APP_MIN" "$v" | sort -V | head -1
}

tools() {
	local t
	for t in clang "$LLVM_BIN/ld64.lld"; do
		command -v "$t" >/dev/null || die "$t is missing: apt-get install clang lld llvm (or ./build/setup.sh darwin)"
	done
}

# prepare makes the cache for this SDK unless it is already there and current.
prepare() {
	local sdk=$1 stamp want
	want="$sdk $MACOS_MIN $(cat "$ROOT/build/darwin/cross.sh" "$ROOT/build/darwin/bundle.sh" | sha256sum | cut -c1-16)"
	stamp=$CACHE/.stamp
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
	rm -rf "$CACHE"
	mkdir -p "$CACHE/Frameworks" "$CACHE/bin"

	local webkit=$sdk/System/Library/Frameworks/WebKit.framework
	if [ ! -d "$webkit" ]; then
		webkit=$sdk/System/iOSSupport/System/Library/Frameworks/WebKit.framework
		[ -d "$webkit" ] || die "no WebKit.framework in $sdk"
	fi
	cp -a "$webkit" "$CACHE/Frameworks/"
	find "$CACHE/Frameworks/WebKit.framework" -name '*.tbd' -type f -exec sed -i \
		-e 's/maccatalyst/macos/g' -e 's#/System/iOSSupport/System/Library#/System/Library#g' {} +

	# A new file, never a link: clang runs the ld64.lld it finds through -B.
	cat >"$CACHE/bin/ld64.lld" <<EOF
#!/bin/sh
# Drops the argument ld64.lld rejects (Go's linker adds it) and runs the real linker.
for a do
	shift
	case "\$a" in --compress-debug-sections*) ;; *) set -- "\$@" "\$a" ;; esac
done
exec $LLVM_BIN/ld64.lld "\$@"
EOF
	# Go's linker finds strip (and dsymutil) through clang -print-prog-name when it keeps
	# DWARF (test binaries); the host's GNU strip does not read Mach-O.
	printf '#!/bin/sh\nexec %s "$@"\n' "$LLVM_BIN/llvm-strip" >"$CACHE/bin/strip"
	chmod +x "$CACHE/bin/ld64.lld" "$CACHE/bin/strip"

	printf 'int __isPlatformVersionAtLeast(unsigned p, unsigned a, unsigned b, unsigned c) { (void)p; (void)a; (void)b; (void)c; return 1; }\n' >"$CACHE/stub.c"
	clang -target "arm64-apple-macos$MACOS_MIN" -isysroot "$sdk" -c "$CACHE/stub.c" -o "$CACHE/stub.o"
	echo "$want" >"$stamp"
}

# environment prints the cross toolchain's variables as export lines.
environment() {
	local sdk
	sdk=$(sdk_dir)
	MACOS_MIN=$(target_min "$sdk")
	tools
	prepare "$sdk"
	local cc="clang -target arm64-apple-macos$MACOS_MIN -isysroot $sdk -iframework $CACHE/Frameworks -iframework $sdk/System/Library/Frameworks -B$CACHE/bin -fuse-ld=lld -Qunused-arguments"
	cat <<EOF
export GOOS=darwin GOARCH=arm64 CGO_ENABLED=1
export CC='$cc' CXX='$cc'
export CGO_CFLAGS='-O2 -g -mmacosx-version-min=$MACOS_MIN'
export CGO_LDFLAGS='-F$CACHE/Frameworks -F$sdk/System/Library/Frameworks -L$sdk/usr/lib -framework CoreGraphics -framework UniformTypeIdentifiers -mmacosx-version-min=$MACOS_MIN'
export PERCH_DARWIN_STUB='$CACHE/stub.o'
export MACOSX_DEPLOYMENT_TARGET=$MACOS_MIN
EOF
}

build() {
	local out=${1:-build/bin/darwin-arm64/perch}
	eval "$(environment)"
	mkdir -p "$(dirname "$out")"
	# perch and the worker-only perch-engine beside it share one build id (engine/workercmd.go).
	local id ld
	id=${BUILD_ID:-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')}
	ld="-s -w -X main.version=$VERSION -X github.com/perchapp/perch/engine.BuildID=$id -extldflags $PERCH_DARWIN_STUB"
	go build -tags "$TAGS" -ldflags "$ld" -o "$out" .
	# The worker needs none of the frameworks the desktop shell links.
	CGO_LDFLAGS="${CGO_LDFLAGS//-framework CoreGraphics -framework UniformTypeIdentifiers/}" \
		go build -ldflags "$ld" -o "$(dirname "$out")/perch-engine" ./engine/cmd/perch-engine
	echo "built $out and perch-engine (darwin/arm64, built for macOS $MACOSX_DEPLOYMENT_TARGET; Perch.app needs macOS $APP_MIN)"
}

# engine installs @node-llama-cpp/mac-arm64-metal for darwin/arm64 into a folder of its own
# (the host's build/engine/node_modules keeps the host's package) and lays it out as
# build/engine/layout.sh does on a Mac.
engine() {
	local npmdir=$ROOT/build/.cache/engine-darwin-arm64
	local src=$npmdir/node_modules/@node-llama-cpp/mac-arm64-metal/bins/mac-arm64-metal
	if [ ! -d "$src" ] || [ "$ROOT/build/engine/package-lock.json" -nt "$npmdir/package-lock.json" ]; then
		mkdir -p "$npmdir"
		cp build/engine/package.json build/engine/package-lock.json "$npmdir/"
		(cd "$npmdir" && npm ci --os=darwin --cpu=arm64 --no-audit --no-fund --loglevel=error)
	fi
	PERCH_ENGINE_SRC=$src GOOS=darwin GOARCH=arm64 ./build/engine/layout.sh
}

case "${1:-}" in
env) environment ;;
build) shift; build "$@" ;;
engine) engine ;;
go) shift; eval "$(environment)"; exec go "$@" ;;
*) die "usage: cross.sh env|build [OUT]|engine|go ARGS..." ;;
esac
