#!/bin/sh
# Regenerates legacy-v1.db with Ferry's code at commit dd1f99d, the last
# version with the old dedup keys (ferry.StatementLine.LegacyDedupKey), so
# that the upgrade test reads a database that version really wrote.
# Run from anywhere inside the repository: sh storage/testdata/make-legacy-v1.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
top=$(git -C "$here" rev-parse --show-toplevel)
git -C "$top" archive dd1f99d | tar -x -C "$tmp"
mkdir -p "$tmp/cmd/legacydb"
cp "$here/legacy-v1/main.go" "$tmp/cmd/legacydb/main.go"
(cd "$tmp" && go run ./cmd/legacydb "$here/legacy-v1.db")
