#!/usr/bin/env bash
# Chromium as the browser tests start it. Playwright passes a --disable-features list of its own and
# Chromium honours only the last such switch, so the features named in GATEHOUSE_CHROMIUM_DISABLE_FEATURES
# are merged into every list given rather than passed as a second switch that would replace Playwright's.
set -euo pipefail
features="${GATEHOUSE_CHROMIUM_DISABLE_FEATURES:-}"
args=()
for arg in "$@"; do
  case "$arg" in
    --disable-features=*) features="${features:+$features,}${arg#--disable-features=}" ;;
    *) args+=("$arg") ;;
  esac
done
exec "${CHROMIUM_PATH:-/usr/bin/chromium}" "${args[@]}" ${features:+"--disable-features=$features"}
