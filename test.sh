#!/usr/bin/env bash
# Runs every test of PushCompare (unit, integration, benchmark and real-browser end-to-end).
# On Debian it first installs what is missing (Chromium, Node.js, npm, redis-server, nginx, haproxy, squid);
# PUSHCOMPARE_CHROMIUM=/path/to/chrome points the browser tests at another Chromium build instead.
# Extra arguments go to every `dotnet test` (e.g. --filter "FullyQualifiedName~Redis").
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the tests need: Chromium for the browser tests, Node.js and npm for the benchmark's Node `ws` peer and
# the browser tests' axe-core (the e2e project's first build runs `npm ci` in tests/e2e),
# redis-server for the Redis session and cluster tests, nginx, haproxy and squid for the tests through real proxies.
# Each test starts its own server on a free loopback port in a temporary folder, never the system's.
missing=()
browser="${PUSHCOMPARE_CHROMIUM:-/usr/bin/chromium}"
[ -x "$browser" ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ -x /usr/bin/redis-server ] || missing+=(redis-server)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/sbin/haproxy ] || missing+=(haproxy)
[ -x /usr/sbin/squid ] || missing+=(squid)
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian packages the tests need: ${missing[*]}..."
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing ${missing[*]} and apt-get is unavailable: the browser tests will try Playwright's own browsers," \
      "the Node peer test needs Node.js 18+ with npm, and the proxy tests need nginx, haproxy and squid." >&2
  fi
fi

# One build, then the three test projects at once as separate processes: each is mostly waiting on sockets, browsers
# and child processes, so running them side by side beats running them one after another on two cores.
dotnet build PushCompare.sln --configuration Release -nologo -v quiet

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
pids=()
for project in tests/unit tests/e2e tests/bench; do
  name=$(basename "$project")
  dotnet test "$project" --configuration Release --no-build -nologo "$@" >"$logs/$name.log" 2>&1 &
  pids+=("$!")
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
# Whole logs, one project after another, so a failure's output is not interleaved with the others'.
for project in tests/unit tests/e2e tests/bench; do cat "$logs/$(basename "$project").log"; done
exit $status
