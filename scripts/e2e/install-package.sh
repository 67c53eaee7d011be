#!/usr/bin/env bash
# Pack this repo (already built: run `npm run build` first) and install the tarball into an n8n user
# folder exactly the way n8n 2.x's community-package installer does
# (n8n/dist/modules/community-packages/community-packages.service.js, downloadPackage):
#   1. ensure <userFolder>/.n8n/nodes/package.json  {"name":"installed-nodes","private":true,"dependencies":{}}
#   2. untar into nodes/node_modules/<name> (--strip-components=1)
#   3. drop devDependencies / peerDependencies / optionalDependencies from its package.json
#   4. npm install --audit=false --fund=false --bin-links=false --install-strategy=shallow
#                  --ignore-scripts=true --package-lock=false      (cwd = the package dir)
#   5. record "<name>": "<version>" in nodes/package.json
# n8n then loads it at startup from nodes/node_modules/n8n-nodes-*; node types are "<name>.<node>".
#
# Usage: install-package.sh <N8N_USER_FOLDER>        (or N8N_USER_FOLDER in the environment)
# Env:   E2E_DIR (default ~/.cache/n8n-nodes-cutout-e2e; the tarball goes to a temporary $E2E_DIR/pack.* folder)
#        E2E_TARBALL=<path.tgz> to install an existing tarball instead of packing the repo.
# Prints the installed package directory on stdout.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Outside the repo: n8n adds every node_modules above its install to NODE_PATH (see test/e2e/n8n.ts).
E2E_DIR="${E2E_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/n8n-nodes-cutout-e2e}"
USER_FOLDER="${1:-${N8N_USER_FOLDER:-}}"
log() { printf '[install-package] %s\n' "$*" >&2; }

if [[ -z "$USER_FOLDER" ]]; then
	log "usage: $0 <N8N_USER_FOLDER>"
	exit 2
fi
mkdir -p "$USER_FOLDER"
USER_FOLDER="$(cd "$USER_FOLDER" && pwd)"

# Same hygiene as install-n8n.sh: under `npm run`, the repo's npm config is exported as npm_config_*;
# the n8n installer would not see those. Keep user config and cache only.
for v in $(env | sed -n 's/^\(npm_config_[^=]*\)=.*/\1/p'); do
	case "${v,,}" in
		npm_config_cache | npm_config_userconfig | npm_config_globalconfig | npm_config_registry) ;;
		*) unset "$v" ;;
	esac
done
unset npm_package_json npm_lifecycle_event npm_lifecycle_script 2>/dev/null || true
# No onnxruntime-node switches needed: like n8n, the install below runs with --ignore-scripts, so its
# postinstall (a CUDA download) never runs.

if [[ -n "${E2E_TARBALL:-}" ]]; then
	TARBALL="$(cd "$(dirname "$E2E_TARBALL")" && pwd)/$(basename "$E2E_TARBALL")"
else
	if [[ ! -d "$REPO_ROOT/dist" ]]; then
		log "ERROR: $REPO_ROOT/dist is missing; run 'npm run build' first"
		exit 1
	fi
	# a private pack folder per run, so a demo and a test suite can pack at the same time
	mkdir -p "$E2E_DIR"
	PACK_DIR="$(mktemp -d "$E2E_DIR/pack.XXXXXX")"
	trap 'rm -rf "$PACK_DIR"' EXIT
	t0=$(date +%s%N)
	name="$(cd "$REPO_ROOT" && npm pack --silent --pack-destination "$PACK_DIR" | tail -n1)"
	TARBALL="$PACK_DIR/$name"
	log "packed $(basename "$TARBALL") ($(du -h "$TARBALL" | cut -f1)) in $((($(date +%s%N) - t0) / 1000000)) ms"
fi
[[ -f "$TARBALL" ]] || { log "ERROR: tarball $TARBALL not found"; exit 1; }

NODES_DIR="$USER_FOLDER/.n8n/nodes"
mkdir -p "$NODES_DIR"
if [[ ! -f "$NODES_DIR/package.json" ]]; then
	printf '{\n  "name": "installed-nodes",\n  "private": true,\n  "dependencies": {}\n}' > "$NODES_DIR/package.json"
fi

PKG_NAME="$(tar -xzOf "$TARBALL" package/package.json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).name))')"
PKG_DIR="$NODES_DIR/node_modules/$PKG_NAME"
rm -rf "$PKG_DIR"
mkdir -p "$PKG_DIR"
tar -xzf "$TARBALL" -C "$PKG_DIR" --strip-components=1

PKG_VERSION="$(node -e '
	const fs = require("fs");
	const file = process.argv[1];
	const { devDependencies, peerDependencies, optionalDependencies, ...pkg } = JSON.parse(fs.readFileSync(file, "utf8"));
	fs.writeFileSync(file, JSON.stringify(pkg, null, 2), "utf8");
	console.log(pkg.version);
' "$PKG_DIR/package.json")"

t0=$(date +%s%N)
(cd "$PKG_DIR" && npm install --audit=false --fund=false --bin-links=false --install-strategy=shallow \
	--ignore-scripts=true --package-lock=false --loglevel=error >&2)
log "npm install of $PKG_NAME@$PKG_VERSION took $((($(date +%s%N) - t0) / 1000000)) ms ($(du -sh "$PKG_DIR" | cut -f1))"

node -e '
	const fs = require("fs");
	const [file, name, version] = process.argv.slice(1);
	const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
	pkg.dependencies = { ...(pkg.dependencies || {}), [name]: version };
	fs.writeFileSync(file, JSON.stringify(pkg, null, 2), "utf8");
' "$NODES_DIR/package.json" "$PKG_NAME" "$PKG_VERSION"

echo "$PKG_DIR"
