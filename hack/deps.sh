#!/usr/bin/env bash
# Installs (as root) or asks for (otherwise) what Ferry needs beside Go:
# Debian's Chromium for the bots, the fonts the sandbox bank embeds in its
# PDF statements, and for the tests poppler-utils (the PDF reference), qpdf,
# hledger-web and beancount (real finance systems delivery is checked against)
# and postgresql (the second database every store is tested on).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -f /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ] || need+=(fonts-droid-fallback)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ "${1:-}" = "--test" ]; then
  command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
  command -v qpdf >/dev/null 2>&1 || need+=(qpdf)
  # Real finance systems the delivery tests feed and check against.
  command -v hledger-web >/dev/null 2>&1 || need+=(hledger-web)
  command -v bean-check >/dev/null 2>&1 || need+=(beancount)
  # PostgreSQL: storage's tests run every store against a private server
  # (initdb into a temporary directory), as they do against SQLite.
  { command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || need+=(postgresql)
fi
command -v go >/dev/null 2>&1 || { echo "Ferry needs Go 1.26 or newer on PATH (https://go.dev/dl/ or /usr/local/go/bin)" >&2; exit 3; }
if [ "${1:-}" = "--test" ]; then
  # Real documents other projects publish as test data, read in place from
  # the module cache by the tests (never copied into this repository).
  mods=$(grep -v '^#' "$(dirname "$0")/testdata-modules.txt" | grep -v '^[[:space:]]*$' || true)
  if [ -n "$mods" ]; then
    (cd "$(dirname "$0")/.." && go mod download $mods) || { echo "could not download the test-data modules: $mods" >&2; exit 3; }
  fi
fi
if [ "${1:-}" = "--test" ]; then
  # The third-party web applications internal/webapps starts for the bot
  # tests (phpMyAdmin over MariaDB from Debian, Node-RED from npm); quiet
  # when they are installed.
  "$(dirname "$0")/webapps.sh"
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "Ferry needs these Debian packages: ${need[*]}" >&2
  echo "install them with:  sudo apt-get install ${need[*]}" >&2
  exit 3
fi
