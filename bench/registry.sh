#!/usr/bin/env bash
# Registry benchmark: migrating an empty database, importing every file of ../shared/data
# into it and re-importing them unchanged (`cpom import`, wall time of each command, process
# start included), then the registry search with the whole registry loaded: the
# as-you-type page fragment and the API, at 32 concurrent connections (wrk), p50/p99; on
# SQLite and on PostgreSQL.
# Usage: bench/registry.sh [DURATION_SECONDS]   (default 15)
# Needs: a release build (built here), wrk (installed from Debian when missing), the local
# PostgreSQL at 127.0.0.1:5432 (CPOM_BENCH_POSTGRES_URL to use another server).
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-15}"
pg_admin="${CPOM_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
data="${CPOM_DATA_FILES:-../shared/data}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --locked -p cpom >/dev/null
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
bin="$target_dir/release/cpom"
port=18932
base="http://127.0.0.1:$port"
password="benchmark-password-2026"
# shellcheck source=bench/lib.sh
source bench/lib.sh
files=("finess $data/finess_etabs_hopitaux_france_FHOFF.csv" "sae-id $data/SAE_2023_ID_2023r.csv" "sae-capacity $data/SAE_2023_SYGEN_2023r.csv")

now_ms() { date +%s%3N; }

import_all() { # prints "total ms (finess a ms, sae-id b ms, sae-capacity c ms)"
  local total=0 parts=()
  for f in "${files[@]}"; do
    set -- $f
    local t0; t0=$(now_ms)
    "$bin" import "$1" "$2" >/dev/null
    local dt=$(( $(now_ms) - t0 )); total=$(( total + dt )); parts+=("$1 $dt ms")
  done
  local IFS=','; echo "$total ms (${parts[*]})"
}


run_backend() { # name url data_dir
  local name=$1 url=$2 dir=$3
  export CPOM_DATABASE_URL="$url" CPOM_DATA_DIR="$dir" CPOM_BIND="127.0.0.1:$port" CPOM_SECURE_COOKIES=false RUST_LOG=warn
  echo "### $name"
  local t0; t0=$(now_ms)
  "$bin" migrate >/dev/null
  echo "- migrations of an empty database: $(( $(now_ms) - t0 )) ms"
  echo "- import of the 3 files into the empty database: $(import_all)"
  echo "- re-import of the same files (nothing changes): $(import_all)"
  CPOM_PASSWORD="$password" "$bin" user create --email bench@cpom.bench --role national-admin --name "Banc d'essai" >/dev/null
  local token; token=$("$bin" token create --email bench@cpom.bench)
  "$bin" serve & local pid=$!
  for _ in $(seq 1 1000); do curl -fs "$base/readyz" >/dev/null 2>&1 && break; sleep 0.01; done
  local cookie; cookie=$(sign_in bench@cpom.bench)
  local total; total=$(curl -fs -H "Authorization: Bearer $token" "$base/api/v1/legal-entities?per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
  echo "- legal entities in the registry: $total"
  echo "- GET /registre?q=centre (htmx fragment, signed in), 32 connections, ${duration} s: $(wrk_run "$base/registre?q=centre" "Cookie: cpom_session=$cookie" "HX-Request: true")"
  echo "- GET /registre?q=lyon&status=public (htmx fragment), 32 connections, ${duration} s: $(wrk_run "$base/registre?q=lyon&status=public" "Cookie: cpom_session=$cookie" "HX-Request: true")"
  echo "- GET /api/v1/legal-entities?q=hopital (bearer token), 32 connections, ${duration} s: $(wrk_run "$base/api/v1/legal-entities?q=hopital" "Authorization: Bearer $token")"
  echo "- GET /api/v1/legal-entities/010780054, 32 connections, ${duration} s: $(wrk_run "$base/api/v1/legal-entities/010780054" "Authorization: Bearer $token")"
  echo "- peak RSS of the server: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' /proc/$pid/status)"
  kill -TERM $pid; wait $pid || true
}

on_both_backends cpom_bench
