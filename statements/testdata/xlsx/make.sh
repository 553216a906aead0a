#!/bin/sh
# Rewrites the LibreOffice-written workbooks of this folder from their
# sources. Needs LibreOffice Calc (Debian: libreoffice-calc-nogui). CI does
# not run this: the .xlsx outputs are committed.
set -eu
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
soffice --headless --convert-to xlsx --outdir "$out" libreoffice-formats.fods libreoffice-1904.fods
# A Dutch bank's CSV opened the way a Dutch user opens it: comma-separated,
# UTF-8 (76), from line 1, Dutch locale (1043) so that 2.500,00 is a number.
soffice --headless --infilter="CSV:44,34,76,1,,1043,false,true" --convert-to xlsx --outdir "$out" libreoffice-nl-bank.csv
cp "$out"/*.xlsx .
