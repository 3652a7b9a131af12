#!/usr/bin/env bash
# Inspects a built Perch.app with LLVM's otool and objdump (Linux or macOS) and fails on the
# first of these that does not hold:
#   - Contents/MacOS/perch and perch-engine are signed Mach-O arm64 executables whose load-time dependencies are
#     only in /System/ and /usr/lib/ (what every Mac has);
#   - the bundle's minimum macOS, the highest LC_BUILD_VERSION minos of the executable and the
#     libraries in Frameworks, is the one README.md states and Info.plist's
#     LSMinimumSystemVersion;
#   - every library in Contents/Frameworks resolves each @rpath/@loader_path dependency to a file
#     inside Contents/Frameworks;
#   - Info.plist parses and has LSUIElement, the bundle id, the version and a copyright;
#   - the engine's library search (engine/llama: ../Frameworks beside the executable, the plain
#     names yzma opens) finds the libraries in this layout.
#   inspect.sh APP [VERSION]   (VERSION: the expected CFBundleShortVersionString, default 0.1.0)
set -euo pipefail
cd "$(dirname "$0")/../.."
APP=${1:?usage: inspect.sh APP [VERSION]}
VERSION=${2:-${VERSION:-0.1.0}}
EXE=$APP/Contents/MacOS/perch
FW=$APP/Contents/Frameworks
BUNDLE_ID=app.perch.Perch

fail() { echo "inspect: FAIL: $*" >&2; exit 1; }
ok() { echo "inspect: ok: $*"; }
tool() { local t; for t in "$@"; do command -v "$t" >/dev/null && { echo "$t"; return; }; done; fail "none of $* is installed (Debian: apt-get install llvm)"; }
OTOOL=$(tool llvm-otool-14 llvm-otool otool)
OBJDUMP=$(tool llvm-objdump-14 llvm-objdump)

# loads FILE: the dylibs FILE loads (not its own id).
loads() {
	local id
	id=$(ids "$1")
	"$OTOOL" -L "$1" | tail -n +2 | sed 's/^[[:space:]]*//; s/ (compatibility version.*//' | { grep -vxF "${id:-//none//}" || true; }
}
# cmdfield FILE CMD FIELD: FIELD's values in FILE's load commands named CMD.
cmdfield() {
	"$OBJDUMP" --macho --private-headers "$1" | awk -v c="$2" -v f="$3" '
		$1 == "cmd" { in_cmd = ($2 == c); next }
		in_cmd && $1 == f { print $2 }'
}
ids() { cmdfield "$1" LC_ID_DYLIB name; }
rpaths() { cmdfield "$1" LC_RPATH path; }
minos() { cmdfield "$1" LC_BUILD_VERSION minos | head -1; }
# vle A B: version A <= version B.
vle() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -1)" = "$1" ]; }
inside() { case "$(realpath -m "$1")" in "$(realpath -m "$FW")"/*) return 0 ;; esac; return 1; }

[ -d "$APP" ] || fail "$APP does not exist (make app)"
[ -f "$EXE" ] || fail "no executable at $EXE"

# The executables: the app and the worker-only perch-engine it starts for each model.
for x in "$EXE" "$APP/Contents/MacOS/perch-engine"; do
	[ -f "$x" ] || fail "no executable at $x"
	"$OBJDUMP" --macho --private-header "$x" | grep -q 'ARM64' || fail "$x is not a Mach-O arm64 file"
	cmdfield "$x" LC_CODE_SIGNATURE cmdsize | grep -q . || fail "$x has no code signature (Apple Silicon runs only signed code)"
	echo "inspect: $OTOOL -L $x"
	loads "$x" | sed 's/^/    /'
	while read -r dep; do
		case "$dep" in /System/* | /usr/lib/*) ;; *) fail "$x loads $dep at launch, which is not part of macOS" ;; esac
	done < <(loads "$x")
	x_min=$(minos "$x")
	[ "$x_min" = "$(minos "$EXE")" ] || fail "$x is built for macOS $x_min, the app for $(minos "$EXE")"
done
ok "the executables (perch, perch-engine) load only system libraries"

# The minimum macOS: README, Info.plist, executable, libraries.
readme_min=$(grep -oE 'macOS [0-9]+\.[0-9]+( \([A-Za-z ]+\))? or later' README.md | head -1 | grep -oE '[0-9]+\.[0-9]+' || true)
[ -n "$readme_min" ] || fail "README.md does not state the minimum macOS (\"macOS N.N or later\")"
exe_min=$(minos "$EXE")
[ -n "$exe_min" ] || fail "$EXE has no LC_BUILD_VERSION"
vle "$exe_min" "$readme_min" || fail "$EXE is built for macOS $exe_min, newer than the $readme_min README.md states"
bundle_min=$exe_min

# The libraries: each dependency inside Frameworks or macOS, and no newer minimum.
n=0
for f in "$FW"/*.dylib "$FW"/*.so; do
	[ -e "$f" ] || continue
	[ -L "$f" ] && { inside "$f" || fail "$f links outside Frameworks"; continue; }
	n=$((n + 1))
	m=$(minos "$f")
	vle "$m" "$readme_min" || fail "$(basename "$f") needs macOS $m, newer than the $readme_min README.md states"
	vle "$m" "$bundle_min" || bundle_min=$m
	mapfile -t rp < <(rpaths "$f")
	while read -r dep; do
		case "$dep" in
		/System/* | /usr/lib/*) continue ;;
		@rpath/*)
			found=""
			for r in "${rp[@]}"; do
				cand=${r/#@loader_path/$(dirname "$f")}
				cand=${cand/#@executable_path/$APP/Contents/MacOS}/${dep#@rpath/}
				[ -e "$cand" ] && inside "$cand" && { found=$cand; break; }
			done
			[ -n "$found" ] || fail "$(basename "$f") loads $dep, which no rpath of it (${rp[*]:-none}) resolves inside Frameworks"
			;;
		@loader_path/*)
			cand=$(dirname "$f")/${dep#@loader_path/}
			[ -e "$cand" ] && inside "$cand" || fail "$(basename "$f") loads $dep, missing from Frameworks"
			;;
		*) fail "$(basename "$f") loads $dep, which is neither in the bundle nor part of macOS" ;;
		esac
	done < <(loads "$f")
done
[ "$n" -gt 0 ] || fail "no libraries in $FW"
ok "$n libraries in Frameworks resolve every @rpath/@loader_path dependency inside it"
echo "inspect: minos: executable $exe_min, libraries up to $bundle_min; README: macOS $readme_min or later"
[ "$bundle_min" = "$readme_min" ] || fail "the bundle needs macOS $bundle_min, README.md states $readme_min"
ok "minimum macOS $bundle_min, as README.md states"

# Info.plist.
python3 - "$APP/Contents/Info.plist" "$BUNDLE_ID" "$VERSION" "$readme_min" <<'EOF' || fail "Info.plist"
import plistlib, sys
path, bundle_id, version, minos = sys.argv[1:]
with open(path, "rb") as f:
    p = plistlib.load(f)
want = {"LSUIElement": True, "CFBundleIdentifier": bundle_id, "CFBundleExecutable": "perch",
        "CFBundleShortVersionString": version, "CFBundleVersion": version,
        "LSMinimumSystemVersion": minos, "CFBundlePackageType": "APPL"}
bad = [f"{k} is {p.get(k)!r}, want {v!r}" for k, v in want.items() if p.get(k) != v]
if not str(p.get("NSHumanReadableCopyright", "")).strip():
    bad.append("NSHumanReadableCopyright is missing")
if bad:
    sys.exit("inspect: FAIL: " + path + ": " + "; ".join(bad))
EOF
grep -q "BundleID = \"$BUNDLE_ID\"" app/desktop/loginitem.go || fail "app/desktop/loginitem.go's BundleID is not $BUNDLE_ID"
ok "Info.plist parses: LSUIElement, $BUNDLE_ID, version $VERSION, copyright, minimum macOS $readme_min"

# The engine's library search: engine/llama looks in ../Frameworks beside the executable and
# opens libllama.dylib and libggml.dylib there.
grep -q 'filepath.Join(bin, "..", "Frameworks")' engine/llama/runtime.go ||
	fail "engine/llama/runtime.go no longer looks in ../Frameworks beside the executable; the bundle layout and the search differ"
grep -q '"libllama.dylib"' engine/llama/runtime.go || fail "engine/llama/runtime.go no longer opens libllama.dylib"
for lib in libllama.dylib libggml.dylib libggml-base.dylib; do
	f=$APP/Contents/MacOS/../Frameworks/$lib
	[ -e "$f" ] && inside "$f" || fail "the engine looks for $f, which is missing"
done
ok "the engine's search (Contents/MacOS/../Frameworks) finds libllama.dylib and libggml.dylib"
echo "inspect: PASS $APP"
