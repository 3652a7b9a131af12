#!/bin/sh
# Builds build/bin/Perch.app (make app) and build/bin/Perch.dmg (make dmg): the desktop binary
# and the worker-only perch-engine of the same build,
# the Metal llama.cpp libraries from @node-llama-cpp/mac-arm64-metal in Contents/Frameworks
# (they find each other through @rpath = @loader_path, so the app runs from any folder),
# Info.plist with LSUIElement (no Dock icon), the icon, and an ad-hoc signature.
# On an Apple Silicon Mac it builds natively. On Linux, with MACOS_SDK set, it cross-builds with
# build/darwin/cross.sh and skips what needs Apple's tools: codesign (the executable keeps lld's
# ad-hoc signature) and hdiutil (no .dmg).
set -eu
cd "$(dirname "$0")/../.."
. build/darwin/bundle.sh
what=${1:-app}
version=${VERSION:-0.1.0}
app=build/bin/Perch.app
lib=build/engine/lib/darwin-arm64

rm -rf "$app"
mkdir -p "$app/Contents/MacOS"
case "$(uname -s)-$(uname -m)" in
Darwin-arm64)
	[ -f "$lib/libllama.dylib" ] || ./build/engine/layout.sh
	id=$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
	ld="-s -w -X main.version=$version -X github.com/perchapp/perch/engine.BuildID=$id"
	MACOSX_DEPLOYMENT_TARGET=$(plist_min) CGO_ENABLED=1 go build -tags desktop,production \
		-ldflags "$ld" -o "$app/Contents/MacOS/perch" .
	MACOSX_DEPLOYMENT_TARGET=$(plist_min) CGO_ENABLED=1 go build -ldflags "$ld" -o "$app/Contents/MacOS/perch-engine" ./engine/cmd/perch-engine
	;;
Linux-*)
	[ -n "${MACOS_SDK:-}" ] || { echo "make $what on Linux cross-builds for macOS: set MACOS_SDK to a macOS SDK folder (see docs/macos.md)" >&2; exit 1; }
	./build/darwin/cross.sh engine
	VERSION=$version ./build/darwin/cross.sh build "$app/Contents/MacOS/perch"
	;;
*) echo "make $what needs macOS on Apple Silicon, or Linux with MACOS_SDK set" >&2; exit 1 ;;
esac
bundle_assemble "$app" "$version" "$lib"

if command -v codesign >/dev/null 2>&1; then
	# Sign the libraries first, then the bundle (ad hoc: no developer identity needed to run it
	# on this Mac; Gatekeeper asks once for apps from elsewhere).
	for f in "$app"/Contents/Frameworks/*.dylib "$app"/Contents/Frameworks/*.so; do
		[ -L "$f" ] || codesign --force --sign - --timestamp=none "$f"
	done
	codesign --force --sign - --timestamp=none "$app/Contents/MacOS/perch-engine"
	codesign --force --sign - --timestamp=none "$app"
	codesign --verify --verbose=2 "$app"
else
	echo "perch: codesign is missing (not macOS): the bundle is not signed; the executable keeps lld's ad-hoc signature"
fi
echo "built $app"

if [ "$what" = dmg ]; then
	command -v hdiutil >/dev/null 2>&1 || { echo "make dmg needs hdiutil (macOS); $app is built" >&2; exit 1; }
	dmg=build/bin/Perch.dmg
	rm -f "$dmg"
	stage=$(mktemp -d)
	cp -a "$app" "$stage/"
	ln -s /Applications "$stage/Applications"
	hdiutil create -volname Perch -srcfolder "$stage" -ov -format UDZO "$dmg" >/dev/null
	echo "built $dmg"
fi
