#!/usr/bin/env bash
# Installs the third-party web applications internal/webapps starts for
# the bot tests (issue 11 item 4), idempotently and quietly once installed:
#   - from Debian: phpmyadmin over mariadb-server, served by php-cli's
#     built-in server (php-mysql for mysqli);
#   - from npm, into ${FERRY_WEBAPPS_CACHE:-~/.cache/ferry-webapps}:
#     node-red (a single-page editor behind a login; plain JavaScript, no
#     native build: about a minute from nothing) and playwright-core (the Playwright reference in testdata/webapps/playwright,
#     driving Debian's chromium: no browser download).
# Exit 3 when something is missing and cannot be installed (not root).
set -euo pipefail
NODERED_VERSION=4.1.8      # internal/webapps.NodeREDVersion (5.x needs Node 22)
PLAYWRIGHT_VERSION=1.65.1  # testdata/webapps/playwright/package.json
cache="${FERRY_WEBAPPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry-webapps}"

need=()
[ -x /usr/sbin/mariadbd ] || command -v mariadbd >/dev/null 2>&1 || need+=(mariadb-server)
command -v mariadb >/dev/null 2>&1 || need+=(mariadb-client)
command -v php >/dev/null 2>&1 || need+=(php-cli)
# grep without -q: -q exits at the first match, php then dies of SIGPIPE and
# pipefail would call a present module missing (an apt-get on every run).
php -m 2>/dev/null | grep -x mysqli >/dev/null || need+=(php-mysql)
[ -f /usr/share/phpmyadmin/index.php ] || need+=(phpmyadmin)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing: ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # --no-install-recommends: no Apache, no dbconfig-managed database.
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "the web application tests need these Debian packages: ${need[*]}" >&2
    echo "install them with:  sudo apt-get install --no-install-recommends ${need[*]}" >&2
    exit 3
  fi
fi

# npm_install DIR PACKAGE VERSION: installs PACKAGE@VERSION into DIR unless
# that exact version is there.
npm_install() {
  local dir="$cache/$1" pkg=$2 version=$3
  local have
  have=$(node -p "require('$dir/node_modules/$pkg/package.json').version" 2>/dev/null || true)
  [ "$have" = "$version" ] && return 0
  echo "installing $pkg@$version into $dir (npm)" >&2
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || echo '{"private": true}' > "$dir/package.json"
  (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error "$pkg@$version" >/dev/null) ||
    { echo "npm could not install $pkg@$version into $dir" >&2; exit 3; }
}
npm_install node-red node-red "$NODERED_VERSION"
npm_install playwright playwright-core "$PLAYWRIGHT_VERSION"
