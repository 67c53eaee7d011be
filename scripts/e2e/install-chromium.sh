#!/usr/bin/env bash
# Make sure the browser suite (test/e2e/editor.browser.test.ts, `npm run test:browser`) has Debian's
# `chromium`, which playwright-core drives through its executablePath (no browser download).
# Idempotent: exits at once when $CHROMIUM (default /usr/bin/chromium) exists. Otherwise installs the
# package with apt-get (needs root or passwordless sudo).
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
log() { printf '[install-chromium] %s\n' "$*" >&2; }

if [[ -x "$CHROMIUM" ]]; then
	log "$("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
	exit 0
fi
command -v apt-get >/dev/null 2>&1 || { log "ERROR: $CHROMIUM is missing and there is no apt-get; install Chromium and set CHROMIUM"; exit 1; }
SUDO=()
if [[ "$(id -u)" != "0" ]]; then
	sudo -n true 2>/dev/null || { log "ERROR: $CHROMIUM is missing; installing it needs root (apt-get install chromium)"; exit 1; }
	SUDO=(sudo -n)
fi

log "installing chromium with apt-get"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq >&2
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium >&2
[[ -x "$CHROMIUM" ]] || { log "ERROR: still no $CHROMIUM after apt-get install chromium"; exit 1; }
log "$("$CHROMIUM" --version 2>/dev/null)"
