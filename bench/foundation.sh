#!/usr/bin/env bash
# Foundation benchmark: start-to-ready time, /readyz and the signed-in home page at 32
# concurrent connections (wrk), and the server's peak RSS, on SQLite and on PostgreSQL.
# Usage: bench/foundation.sh [DURATION_SECONDS]   (default 15)
# Needs: a release build (built here), wrk (installed from Debian when missing), the local
# PostgreSQL at 127.0.0.1:5432 (CPOM_BENCH_POSTGRES_URL to use another server).
# Only 127.0.0.1 is ever targeted; every load is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-15}"
pg_admin="${CPOM_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --locked -p cpom >/dev/null
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
bin="$target_dir/release/cpom"
port=18931
base="http://127.0.0.1:$port"
password="benchmark-password-2026"
# shellcheck source=bench/lib.sh
source bench/lib.sh

now_ms() { date +%s%3N; }

wait_ready() {
  local start=$1
  for _ in $(seq 1 3000); do
    if curl -fs "$base/readyz" >/dev/null 2>&1; then echo $(( $(now_ms) - start )); return; fi
    sleep 0.01
  done
  echo "server not ready" >&2; exit 1
}


run_backend() { # name url data_dir
  local name=$1 url=$2 dir=$3
  export CPOM_DATABASE_URL="$url" CPOM_DATA_DIR="$dir" CPOM_BIND="127.0.0.1:$port" CPOM_SECURE_COOKIES=false RUST_LOG=warn
  local start pid cold warm
  start=$(now_ms); "$bin" serve & pid=$!
  cold=$(wait_ready "$start")
  kill -TERM $pid; wait $pid || true
  CPOM_PASSWORD="$password" "$bin" user create --email bench@cpom.bench --role national-admin --name "Banc d'essai" >/dev/null
  start=$(now_ms); "$bin" serve & pid=$!
  warm=$(wait_ready "$start")
  local cookie; cookie=$(sign_in bench@cpom.bench)
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: cpom_session=$cookie" "$base/")" = 200 ] || { echo "sign-in failed" >&2; exit 1; }
  echo "### $name"
  echo "- start to ready: ${cold} ms on an empty database (migrations included), ${warm} ms on restart"
  echo "- GET /readyz, 32 connections, ${duration} s: $(wrk_run "$base/readyz")"
  echo "- GET / signed in, 32 connections, ${duration} s: $(wrk_run "$base/" "Cookie: cpom_session=$cookie")"
  echo "- peak RSS of the server: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' /proc/$pid/status)"
  kill -TERM $pid; wait $pid || true
}

on_both_backends cpom_bench
