#!/usr/bin/env bash
# Make sure the queue-mode end-to-end test (test/e2e/queue-mode.e2e.test.ts) has its two servers:
#   redis-server   the job queue (n8n queue mode needs Redis)
#   PostgreSQL     the shared database: with SQLite, 3 n8n processes on one database file fail with
#                  SQLITE_BUSY under load (measured with n8n 2.8.4: 5 of 20 concurrent webhook executions)
# The test starts its own throwaway servers on 127.0.0.1 (free ports, data in a temp folder) and stops
# them; nothing here starts a server.
#
# Idempotent: exits at once when both are installed. Otherwise installs the missing Debian packages
# (`redis-server`, `postgresql`) with apt-get (needs root or passwordless sudo). Their postinst scripts
# would start system-wide servers (Redis on 6379, PostgreSQL's "main" cluster on 5432) on machines with an
# init system: while installing, a temporary policy-rc.d denies that (Docker images ship one that does
# the same), so no daemon is left running.
#
# Env: REDIS_SERVER (default: redis-server on PATH), PG_BIN (default: newest /usr/lib/postgresql/*/bin).
set -euo pipefail

log() { printf '[install-queue-deps] %s\n' "$*" >&2; }

have_redis() { command -v "${REDIS_SERVER:-redis-server}" >/dev/null 2>&1; }
have_postgres() {
	[[ -n "${PG_BIN:-}" && -x "${PG_BIN}/initdb" ]] || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null 2>&1
}

packages=()
have_redis || packages+=(redis-server)
have_postgres || packages+=(postgresql)
if [[ ${#packages[@]} -eq 0 ]]; then
	log "$("${REDIS_SERVER:-redis-server}" --version | head -n1)"
	log "PostgreSQL: $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || command -v initdb)"
	exit 0
fi

SUDO=()
if [[ "$(id -u)" != "0" ]]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		SUDO=(sudo -n)
	else
		log "ERROR: missing ${packages[*]}; installing needs root (apt-get install ${packages[*]})"
		exit 1
	fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
	log "ERROR: missing ${packages[*]} and this is not a Debian/Ubuntu machine (no apt-get); install Redis >= 6 and PostgreSQL >= 13 yourself"
	exit 1
fi

POLICY=/usr/sbin/policy-rc.d
if [[ ! -e "$POLICY" ]]; then
	"${SUDO[@]}" sh -c "printf '#!/bin/sh\n# temporary, from n8n-nodes-cutout scripts/e2e/install-queue-deps.sh\nexit 101\n' > $POLICY && chmod 755 $POLICY"
	trap '"${SUDO[@]}" rm -f "$POLICY"' EXIT
fi

log "installing ${packages[*]} with apt-get"
start=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq >&2
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
have_redis && have_postgres || { log "ERROR: still missing redis-server or PostgreSQL after apt-get install"; exit 1; }
log "installed ${packages[*]} in $(($(date +%s) - start)) s"
