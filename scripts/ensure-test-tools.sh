#!/usr/bin/env bash
# The tests talk to real servers with real clients (dig, curl, openssl, headless chromium, ip). Install them when missing and we can
# (root with apt-get, as on CI and fresh Debian machines); otherwise say exactly what to run.
set -euo pipefail
need=()
command -v dig >/dev/null 2>&1 || need+=(dnsutils)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# The browser tests: Chromium's headless shell (the same engine without the browser's UI: a third less
# CPU than the full browser in headless mode); the full chromium serves when the shell cannot be installed.
if [ ! -x /usr/bin/chromium-headless-shell ]; then
  { [ -x /usr/bin/chromium ] && [ "$(id -u)" != "0" ]; } || need+=(chromium-headless-shell)
fi
# The mesh.interface tests: network namespaces (ip). setpriv: every process a test starts gets the
# parent-death signal (test/support/tied-to-worker.ts), and one case runs without CAP_NET_ADMIN.
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${need[*]} for the tests..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need[@]}" >/dev/null
  exit 0
fi
echo "the tests need: sudo apt-get install -y ${need[*]}" >&2
exit 1
