#!/usr/bin/env bash
# A fresh Debian's first `make test` builds and tests the desktop shell. Stands a machine without
# WebKitGTK in: a copy of the tracked files, and on PATH stand-ins for dpkg-query and apt-get
# (nothing is installed until build/setup.sh runs apt-get install), pkg-config (finds WebKitGTK
# only after that), and go and npm (they record what they were asked to do). The real Makefile
# and build/setup.sh run; the test passes when go build and go test were given the desktop
# tags with cgo, that is, when DESKTOP was decided after setup installed WebKitGTK.
# Run by `make test-make`; Linux on amd64 only (the desktop tags differ elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${PERCH_FRESH_TEST:-}" ] && exit 0 # the copy's make test runs this again
if [ "$(go env GOOS)-$(go env GOARCH)" != linux-amd64 ]; then
	echo "fresh-test: SKIP: checks the Linux desktop build (linux/amd64)"
	exit 0
fi
fail() { echo "fresh-test: FAIL: $*" >&2; [ -f "${LOG:-}" ] && sed 's/^/    /' "$LOG" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
SHIM=$WORK/shim LOG=$WORK/calls MARK=$WORK/installed
mkdir -p "$SHIM" "$WORK/src"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$WORK/src"
# PERCH_FRESH_MAKEFILE: another Makefile to try (git show 6ab69f4:Makefile fails this test).
[ -n "${PERCH_FRESH_MAKEFILE:-}" ] && cp "$PERCH_FRESH_MAKEFILE" "$WORK/src/Makefile"
REAL_GO=$(command -v go)

shim() { printf '#!/bin/sh\n%s\n' "$2" >"$SHIM/$1"; chmod +x "$SHIM/$1"; }
shim dpkg-query "[ -f $MARK ] && printf 'install ok installed' || exit 1"
shim apt-get "case \" \$* \" in *' install '*) touch $MARK ;; esac; echo \"apt-get \$*\" >>$LOG"
shim sudo 'exec "$@"'
shim pkg-config "[ -f $MARK ]"
shim npm "echo \"npm \$*\" >>$LOG"
shim go "case \"\$1\" in env|version|list) exec $REAL_GO \"\$@\" ;; esac; echo \"CGO_ENABLED=\$CGO_ENABLED go \$*\" >>$LOG"

# The engine runtime and the UI are laid out already (their own targets, not under test).
mkdir -p "$WORK/src/build/engine/lib/linux-amd64" "$WORK/src/frontend/dist"
touch "$WORK/src/build/engine/lib/linux-amd64/.ok" "$WORK/src/frontend/dist/index.html"

out=$(cd "$WORK/src" && env -u MACOS_SDK -u DESKTOP PATH="$SHIM:$PATH" PERCH_FRESH_TEST=1 \
	PERCH_BIN=/nonexistent make test 2>&1 </dev/null) || fail "make test failed: $out"
[ -f "$MARK" ] || fail "setup did not install anything: $out"
grep -q '^CGO_ENABLED=1 go build -tags desktop,production,webkit2_41 ' "$LOG" ||
	fail "the first make test did not build the desktop shell (calls below)"
grep -q '^CGO_ENABLED=1 go test -tags desktop,production,webkit2_41 ' "$LOG" ||
	fail "the first make test did not test with the desktop tags (calls below)"
echo "fresh-test: ok: on a machine without WebKitGTK the first make test installs it, then builds and tests the desktop shell"
