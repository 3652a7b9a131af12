#!/bin/sh
# Installs what Perch needs to build (and, with "test", to run its tests) on a fresh machine:
# Debian packages when they are missing, nothing that is already there. On macOS it checks the
# Xcode command-line tools and Node.js instead.
#   build/setup.sh          build and run (desktop libraries where possible)
#   build/setup.sh test     also Chromium, Xvfb and fonts for the browser and desktop tests
# With MACOS_SDK set (the Mac build from Linux, build/darwin/cross.sh) also clang, lld, LLVM's
# otool and objdump, and python3 for the Info.plist check.
set -eu
mode=${1:-run}

need_cmd() { command -v "$1" >/dev/null 2>&1 || { echo "perch: $1 is required: $2" >&2; exit 1; }; }

case "$(uname -s)" in
Darwin)
  xcode-select -p >/dev/null 2>&1 || { echo "perch: install the Xcode command-line tools first: xcode-select --install" >&2; exit 1; }
  need_cmd go "install Go 1.26 from https://go.dev/dl/"
  need_cmd npm "install Node.js 20 or later (https://nodejs.org or brew install node)"
  exit 0 ;;
Linux) ;;
*) echo "perch: unsupported system $(uname -s)" >&2; exit 1 ;;
esac

need_cmd go "install Go 1.26 (https://go.dev/dl/)"
pkgs="ca-certificates build-essential pkg-config libffi8 libgtk-3-dev libwebkit2gtk-4.1-dev nodejs npm"
if [ "$mode" = test ]; then
  pkgs="$pkgs chromium xvfb xauth x11-utils xdotool imagemagick dbus dbus-x11 fonts-dejavu-core fonts-noto-cjk"
fi
if [ -n "${MACOS_SDK:-}" ]; then
  pkgs="$pkgs clang lld llvm python3"
fi
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "perch: not a Debian-like system; make sure these are installed: $pkgs" >&2
  exit 0
fi
missing=""
for p in $pkgs; do
  # node and npm may come from elsewhere than Debian.
  case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
    python3) command -v python3 >/dev/null 2>&1 && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "perch: installing Debian packages:$missing"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
