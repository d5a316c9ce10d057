#!/usr/bin/env bash
# Contract documents: rendering time and peak memory.
#   1. The renderers alone (release build of cpom-docs' example): a 40-engagement contract as
#      PDF, DOCX and annex-1 XLSX (mean of 20), then a ZIP of N such contracts in the three
#      formats, under /usr/bin/time for the peak memory.
#   2. Over HTTP: `cpom demo` on a fresh SQLite file, then the PDF of every demo contract and
#      the ZIP of the region's contracts (GET /api/v1/contracts/archive.zip, bearer token),
#      timed with curl; the server's peak RSS.
# Usage: bench/documents.sh [contracts in the synthetic ZIP, default 250]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-250}"
work="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release --locked -q -p cpom-docs --example render_sample
cargo build --release --locked -q -p cpom
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"

echo "== Renderers alone (40 engagements; ZIP of $n contracts)"
/usr/bin/time -f "peak RSS of the renderer: %M KiB" "$target_dir/release/examples/render_sample" "$work/docs" 40 "$n"

echo "== Over HTTP, demo data (SQLite)"
port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
export CPOM_DATABASE_URL="sqlite://$work/cpom.db?mode=rwc" CPOM_DATA_DIR="$work/data" CPOM_BIND="127.0.0.1:$port" \
  CPOM_SECURE_COOKIES=false RUST_LOG=warn CPOM_DEMO_PASSWORD="banc-d-essai-2026"
bin="$target_dir/release/cpom"
"$bin" demo >"$work/demo.log" 2>&1 & pid=$!
for _ in $(seq 1 3000); do curl -fs "$base/readyz" >/dev/null 2>&1 && break; sleep 0.05; done
token=$("$bin" token create --email ars-referent@cpom.demo)
echo "peak RSS of the server before the documents: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' /proc/$pid/status)"
ids=$(curl -fs -H "Authorization: Bearer $token" "$base/api/v1/contracts?per_page=100" | python3 -c 'import json,sys; print(" ".join(str(c["id"]) for c in json.load(sys.stdin)["items"]))')
for id in $ids; do
  curl -fs -o "$work/$id.pdf" -w "GET /api/v1/contracts/$id/document.pdf: %{time_total} s, %{size_download} bytes\n" \
    -H "Authorization: Bearer $token" "$base/api/v1/contracts/$id/document.pdf"
done
curl -fs -o "$work/region.zip" -w "GET /api/v1/contracts/archive.zip (region 76): %{time_total} s, %{size_download} bytes\n" \
  -H "Authorization: Bearer $token" "$base/api/v1/contracts/archive.zip"
python3 -c 'import sys,zipfile; print("entries in the ZIP:", len(zipfile.ZipFile(sys.argv[1]).namelist()))' "$work/region.zip"
echo "peak RSS of the server after the documents: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' /proc/$pid/status)"
