#!/usr/bin/env bash
# Runs every test of PushCompare (unit, integration and real-browser end-to-end).
# On Debian it first installs what is missing (Chromium, Node.js, npm, redis-server); PUSHCOMPARE_CHROMIUM=/path/to/chrome points
# the browser tests at another Chromium build instead.
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the tests need: Chromium for the browser tests, Node.js and npm for the benchmark's Node `ws` peer,
# redis-server for the Redis session and cluster tests (each starts its own on a free port, never the system's).
missing=()
browser="${PUSHCOMPARE_CHROMIUM:-/usr/bin/chromium}"
[ -x "$browser" ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ -x /usr/bin/redis-server ] || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian packages the tests need: ${missing[*]}..."
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing ${missing[*]} and apt-get is unavailable: the browser tests will try Playwright's own browsers," \
      "and the Node peer test needs Node.js 18+ with npm." >&2
  fi
fi

dotnet test PushCompare.sln --configuration Release "$@"
