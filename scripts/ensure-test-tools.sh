#!/usr/bin/env bash
# The tests talk to real servers with the real `dig`. Install it when it is missing and we can
# (root with apt-get, as on CI and fresh Debian machines); otherwise say exactly what to run.
set -euo pipefail
command -v dig >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing dnsutils (dig) for the tests..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq dnsutils >/dev/null
  exit 0
fi
echo "the tests need dig: sudo apt-get install -y dnsutils (Debian/Ubuntu) or bind-utils (Fedora)" >&2
exit 1
