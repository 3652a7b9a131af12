#!/usr/bin/env bash
# The Mac build, checked from Linux with a macOS SDK (make test-darwin, run by make test when
# MACOS_SDK is set): every package and its tests compile for darwin/arm64 with cgo, with and
# without the desktop tags; Perch's own Objective-C compiles with -Wall and no warning; Perch.app
# is assembled (build/darwin/package.sh) and inspected (inspect.sh); and the inspection is
# shown to fail on a broken bundle (inspect_test.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${MACOS_SDK:?set MACOS_SDK to a macOS SDK folder}"
VERSION=${VERSION:-0.1.0}
step() { echo "darwin-check: $*"; }
eval "$(./build/darwin/cross.sh env)"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

for tags in "" desktop,production; do
	step "go vet for darwin/arm64 (tags: ${tags:-none})"
	go vet -tags "$tags" ./...
	step "go test -c for darwin/arm64 (tags: ${tags:-none})"
	rm -rf "$WORK/tests" && mkdir -p "$WORK/tests"
	# Every package but the root (no tests; its perch.test name would collide with app/wire/perch's).
	go test -tags "$tags" -c -o "$WORK/tests/" -ldflags "-extldflags $PERCH_DARWIN_STUB" $(go list ./... | grep -vx "$(go list .)")
	step "  $(ls "$WORK/tests" | wc -l) test binaries linked"
done

# Perch's Objective-C is in cgo preambles: cgo writes each file's C, which is compiled with the
# package's flags and -Wall -Werror (Wails' own files are not Perch's and are left out).
step "-Wall on Perch's Objective-C"
while read -r dir files flags; do
	out=$WORK/cgo/$(basename "$dir")
	mkdir -p "$out"
	# shellcheck disable=SC2086
	(cd "$dir" && go tool cgo -objdir "$out" -- $flags ${files//,/ })
	for c in "$out"/*.cgo2.c; do
		# shellcheck disable=SC2086
		$CC $flags -Wall -Werror -I"$out" -c "$c" -o "${c%.c}.o"
		step "  ok: ${dir#"$PWD"/}/$(basename "$c" .cgo2.c).go"
	done
done < <(go list -tags desktop,production -f '{{if .CgoFiles}}{{.Dir}} {{join .CgoFiles ","}} {{join .CgoCFLAGS " "}}{{end}}' ./... | grep .)

step "make app"
VERSION=$VERSION ./build/darwin/package.sh app
./build/darwin/inspect.sh build/bin/Perch.app "$VERSION"
./build/darwin/inspect_test.sh build/bin/Perch.app "$VERSION"
step "PASS"
