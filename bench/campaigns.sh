#!/usr/bin/env bash
# Opening a campaign at national scale: on a fresh SQLite file and a fresh PostgreSQL
# database, N signed contracts of one region with K indicators each are created, then the
# campaign is opened and timed (one declaration per indicator, in one transaction).
# Usage: bench/campaigns.sh [contracts, default 2000] [indicators per contract, default 25]
# PostgreSQL at 127.0.0.1:5432 (CPOM_BENCH_POSTGRES_URL to use another server).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-2000}"
k="${2:-25}"
pg_admin="${CPOM_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
work="$(mktemp -d)"
db="cpom_bench_campaign_$$"
trap 'rm -rf "$work"; psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT

cargo build --release --locked -q -p cpom-store --example bench_campaign
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
bin="$target_dir/release/examples/bench_campaign"

echo "== SQLite"
/usr/bin/time -f "peak RSS: %M KiB" "$bin" "sqlite://$work/cpom.db?mode=rwc" "$work/sqlite" "$n" "$k"
echo "== PostgreSQL"
psql "$pg_admin" -qc "CREATE DATABASE $db" >/dev/null
/usr/bin/time -f "peak RSS: %M KiB" "$bin" "${pg_admin%/*}/$db" "$work/pg" "$n" "$k"
