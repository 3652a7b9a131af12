#!/usr/bin/env bash
# The inspection's own test: build/darwin/inspect.sh passes on a copy of a built Perch.app and
# fails, naming the fault, on copies broken the ways a bundle breaks: a library loading an
# @rpath name that is not in Frameworks, a library without its rpath, the executable loading a
# library outside macOS, an Info.plist without LSUIElement, a missing libggml.dylib link.
#   inspect_test.sh APP [VERSION]
set -euo pipefail
cd "$(dirname "$0")/../.."
APP=${1:-build/bin/Perch.app}
VERSION=${2:-${VERSION:-0.1.0}}
[ -d "$APP" ] || { echo "inspect-test: SKIP: no $APP (make app MACOS_SDK=DIR)"; exit 0; }
NAMETOOL=$(command -v llvm-install-name-tool-14 || command -v llvm-install-name-tool || command -v install_name_tool) ||
	{ echo "inspect-test: FAIL: no install_name_tool (Debian: apt-get install llvm)" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "inspect-test: FAIL: $*" >&2; exit 1; }

copy() { rm -rf "$WORK/Perch.app"; cp -a "$APP" "$WORK/Perch.app"; C=$WORK/Perch.app/Contents; }
# expect_fail NAME WANT: the inspection of the broken copy fails and says WANT.
expect_fail() {
	local out
	if out=$(./build/darwin/inspect.sh "$WORK/Perch.app" "$VERSION" 2>&1); then
		fail "$1: the inspection passed"
	fi
	grep -q -- "$2" <<<"$out" || fail "$1: the inspection failed without saying \"$2\": $(tail -1 <<<"$out")"
	echo "inspect-test: ok: $1: $(grep 'FAIL' <<<"$out" | tail -1)"
}

copy
./build/darwin/inspect.sh "$WORK/Perch.app" "$VERSION" >/dev/null || fail "the unbroken copy does not pass"

copy # same length, so the load command is rewritten in place
"$NAMETOOL" -change @rpath/libggml-base.dylib @rpath/libggml-gone.dylib "$C/Frameworks/libllama.metal.v0.4.0.dylib"
expect_fail "a broken @rpath dependency" "loads @rpath/libggml-gone.dylib"

copy
"$NAMETOOL" -delete_rpath @loader_path "$C/Frameworks/libggml-metal.so"
expect_fail "a library without its rpath" "libggml-metal.so loads @rpath/libggml-base.dylib"

copy
"$NAMETOOL" -change /usr/lib/libSystem.B.dylib /opt/lib/libSystem.B.dylib "$C/MacOS/perch"
expect_fail "the executable loading a non-system library" "loads /opt/lib/libSystem.B.dylib at launch"

copy
rm "$C/MacOS/perch-engine"
expect_fail "no worker-only perch-engine" "no executable at .*perch-engine"

copy
sed -i.bak '/<key>LSUIElement<\/key>/,+1d' "$C/Info.plist"
expect_fail "Info.plist without LSUIElement" "LSUIElement is None"

copy
rm "$C/Frameworks/libggml.dylib"
expect_fail "no libggml.dylib where the engine looks" "libggml.dylib, which is missing"
echo "inspect-test: PASS"
