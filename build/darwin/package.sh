#!/bin/sh
# Builds build/bin/Perch.app (make app) and build/bin/Perch.dmg (make dmg) on an Apple Silicon
# Mac: the desktop binary, the Metal llama.cpp libraries from @node-llama-cpp/mac-arm64-metal in
# Contents/Frameworks (they find each other through @rpath = @loader_path, so the app runs from
# any folder), Info.plist with LSUIElement (no Dock icon), the icon, and an ad-hoc signature.
set -eu
cd "$(dirname "$0")/../.."
what=${1:-app}
[ "$(uname -s)" = Darwin ] && [ "$(uname -m)" = arm64 ] || { echo "make $what needs macOS on Apple Silicon" >&2; exit 1; }

version=${VERSION:-0.1.0}
app=build/bin/Perch.app
lib=build/engine/lib/darwin-arm64
[ -f "$lib/libllama.dylib" ] || ./build/engine/layout.sh

rm -rf "$app"
mkdir -p "$app/Contents/MacOS" "$app/Contents/Frameworks" "$app/Contents/Resources"
CGO_ENABLED=1 go build -tags desktop,production -ldflags "-s -w -X main.version=$version" -o "$app/Contents/MacOS/perch" .
cp build/darwin/Info.plist "$app/Contents/Info.plist"
plutil -replace CFBundleShortVersionString -string "$version" "$app/Contents/Info.plist"
plutil -replace CFBundleVersion -string "$version" "$app/Contents/Info.plist"
# Links, not copies: libllama loads @rpath/libggml.metal.*.dylib, and dyld must see the file
# yzma opened as libggml.dylib as that same image.
cp -a "$lib"/. "$app/Contents/Frameworks/"
rm -f "$app/Contents/Frameworks/.ok"

if [ -f build/appicon.png ]; then
  set_dir=$(mktemp -d)/Perch.iconset
  mkdir -p "$set_dir"
  for s in 16 32 128 256 512; do
    sips -z $s $s build/appicon.png --out "$set_dir/icon_${s}x${s}.png" >/dev/null
    d=$((s * 2))
    sips -z $d $d build/appicon.png --out "$set_dir/icon_${s}x${s}@2x.png" >/dev/null
  done
  iconutil -c icns "$set_dir" -o "$app/Contents/Resources/iconfile.icns"
fi

# Sign the libraries first, then the bundle (ad hoc: no developer identity needed to run it
# on this Mac; Gatekeeper asks once for apps from elsewhere).
for f in "$app"/Contents/Frameworks/*.dylib "$app"/Contents/Frameworks/*.so; do
  [ -L "$f" ] || codesign --force --sign - --timestamp=none "$f"
done
codesign --force --sign - --timestamp=none "$app"
codesign --verify --verbose=2 "$app"
echo "built $app"

if [ "$what" = dmg ]; then
  dmg=build/bin/Perch.dmg
  rm -f "$dmg"
  stage=$(mktemp -d)
  cp -a "$app" "$stage/"
  ln -s /Applications "$stage/Applications"
  hdiutil create -volname Perch -srcfolder "$stage" -ov -format UDZO "$dmg" >/dev/null
  echo "built $dmg"
fi
