#!/usr/bin/env bash
# Runs every test of PushCompare (unit, integration and real-browser end-to-end).
# On Debian it first installs Chromium when it is missing; PUSHCOMPARE_CHROMIUM=/path/to/chrome points the
# browser tests at another Chromium build instead.
set -euo pipefail
cd "$(dirname "$0")"

browser="${PUSHCOMPARE_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$browser" ]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "Chromium not found at $browser: installing Debian's chromium package..."
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "Chromium not found at $browser and apt-get is unavailable: the browser tests will try Playwright's own browsers." >&2
  fi
fi

dotnet test PushCompare.sln --configuration Release "$@"
