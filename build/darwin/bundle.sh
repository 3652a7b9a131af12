# Shared by build/darwin/package.sh (on a Mac) and build/darwin/cross.sh (on Linux): the
# Perch.app layout. Sourced, not run; POSIX sh, so that it runs with macOS's /bin/sh too.

# plist_min prints LSMinimumSystemVersion from build/darwin/Info.plist: the oldest macOS Perch
# runs on, which the executable is built for.
plist_min() {
	awk '/<key>LSMinimumSystemVersion<\/key>/ { getline; gsub(/.*<string>|<\/string>.*/, ""); print; exit }' build/darwin/Info.plist
}

# bundle_assemble APP VERSION LIBDIR: lays out APP around an executable already at
# APP/Contents/MacOS/perch: Info.plist with the version, the llama.cpp libraries from LIBDIR in
# Contents/Frameworks, and the icon (.icns where sips and iconutil exist, else the PNG).
bundle_assemble() {
	app=$1 version=$2 lib=$3
	[ -f "$lib/libllama.dylib" ] || { echo "perch: no llama.cpp libraries in $lib" >&2; return 1; }
	rm -rf "$app/Contents/Frameworks" "$app/Contents/Resources" "$app/Contents/Info.plist"
	mkdir -p "$app/Contents/MacOS" "$app/Contents/Frameworks" "$app/Contents/Resources"
	awk -v v="$version" '
		replace { sub(/<string>[^<]*<\/string>/, "<string>" v "</string>"); replace = 0 }
		/<key>(CFBundleShortVersionString|CFBundleVersion)<\/key>/ { replace = 1 }
		{ print }' build/darwin/Info.plist >"$app/Contents/Info.plist"
	# Links, not copies: libllama loads @rpath/libggml.metal.*.dylib, and dyld must see the file
	# yzma opened as libggml.dylib as that same image.
	cp -a "$lib"/. "$app/Contents/Frameworks/"
	rm -f "$app/Contents/Frameworks/.ok"
	bundle_icon "$app/Contents/Resources"
}

# bundle_icon DIR: iconfile.icns from build/appicon.png with Apple's sips and iconutil; without
# them (Linux) the PNG itself as iconfile.png, which CFBundleIconFile (iconfile) also finds.
bundle_icon() {
	[ -f build/appicon.png ] || return 0
	if command -v sips >/dev/null 2>&1 && command -v iconutil >/dev/null 2>&1; then
		set_dir=$(mktemp -d)/Perch.iconset
		mkdir -p "$set_dir"
		for s in 16 32 128 256 512; do
			sips -z $s $s build/appicon.png --out "$set_dir/icon_${s}x${s}.png" >/dev/null
			d=$((s * 2))
			sips -z $d $d build/appicon.png --out "$set_dir/icon_${s}x${s}@2x.png" >/dev/null
		done
		iconutil -c icns "$set_dir" -o "$1/iconfile.icns"
	else
		echo "perch: iconutil is missing (not macOS): the icon is bundled as PNG"
		cp build/appicon.png "$1/iconfile.png"
	fi
}
