#!/usr/bin/env bash
# The README's screenshot of an HTML report: headless Chromium (Debian's `chromium`) opens a
# committed study's report.html at a laptop's width (1366 × 900 px, scale 1) and saves the first
# screen to docs/report-html.png. Usage: .ci/screenshot.sh [STUDY] [OUT.png] (default: optimizers,
# docs/report-html.png). Needs nothing but chromium; the page is self-contained.
set -euo pipefail
cd "$(dirname "$0")/.."
study=${1:-optimizers}
out=${2:-docs/report-html.png}
page="$PWD/results/$study/report.html"
[ -f "$page" ] || { echo "no $page: run \`trainbench report $study\` first" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# As root (CI, containers) Chromium refuses to start without --no-sandbox.
chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars \
  --force-device-scale-factor=1 --window-size=1366,${HEIGHT:-900} --user-data-dir="$tmp/profile" \
  --screenshot="$tmp/shot.png" "file://$page" >/dev/null 2>&1
mv "$tmp/shot.png" "$out"
echo "$out: $(stat -c %s "$out") bytes: results/$study/report.html at 1366 x ${HEIGHT:-900}"
