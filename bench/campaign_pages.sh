#!/usr/bin/env bash
# The declaration form and the validation queue at national scale: on a fresh SQLite file and
# a fresh PostgreSQL database, `bench_campaign` creates N signed contracts of one region with K
# indicators of the shipped Occitanie catalogue each, opens the campaign (N × K declarations)
# and submits every tenth declaration; then cpom serves that database and wrk drives, at 32
# connections, the declaration form (page and API, as the establishment's leader) and the
# validation queue, the campaign's dashboard (page and API, as a referent of the region) and
# the contract's scorecard, with /readyz as the stack's own ceiling; p50/p99, requests per
# second, non-2xx responses; the campaign's XLSX export (every declaration) and the review
# pack PDF of one contract (compared with the 2 000 establishments of its band) timed; peak
# RSS.
# Usage: bench/campaign_pages.sh [contracts, default 2000] [indicators, default 25] [seconds, default 15]
# Needs: wrk (installed from Debian when missing), the local PostgreSQL at 127.0.0.1:5432
# (CPOM_BENCH_POSTGRES_URL to use another server).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-2000}"
k="${2:-25}"
duration="${3:-15}"
pg_admin="${CPOM_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --locked -q -p cpom-store --example bench_campaign
cargo build --release --locked -q -p cpom
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
bin="$target_dir/release/cpom"
setup="$target_dir/release/examples/bench_campaign"
port=18933
base="http://127.0.0.1:$port"
password="benchmark-password-2026"
# shellcheck source=bench/lib.sh
source bench/lib.sh



run_backend() { # name url data_dir
  local name=$1 url=$2 dir=$3
  echo "### $name"
  local out; out=$(BENCH_SUBMIT=1 "$setup" "$url" "$dir" "$n" "$k")
  grep -v '^BENCH ' <<<"$out" | sed 's/^/- /'
  local ids; ids=$(sed -n 's/^BENCH //p' <<<"$out")
  local campaign declaration
  campaign=$(sed -n 's/.*campaign=\([0-9]*\).*/\1/p' <<<"$ids")
  declaration=$(sed -n 's/.*declaration=\([0-9]*\).*/\1/p' <<<"$ids")
  export CPOM_DATABASE_URL="$url" CPOM_DATA_DIR="$dir" CPOM_BIND="127.0.0.1:$port" CPOM_SECURE_COOKIES=false RUST_LOG=warn
  CPOM_PASSWORD="$password" "$bin" user create --email referent@cpom.bench --role ars-referent --region 76 --name "Référent" >/dev/null
  CPOM_PASSWORD="$password" "$bin" user create --email leader@cpom.bench --role establishment-leader --ej 340000001 --name "Direction" >/dev/null
  local ref_token lead_token
  ref_token=$("$bin" token create --email referent@cpom.bench)
  lead_token=$("$bin" token create --email leader@cpom.bench)
  "$bin" serve & local pid=$!
  for _ in $(seq 1 1000); do curl -fs "$base/readyz" >/dev/null 2>&1 && break; sleep 0.01; done
  local ref_cookie lead_cookie
  ref_cookie=$(sign_in referent@cpom.bench)
  lead_cookie=$(sign_in leader@cpom.bench)
  local queued; queued=$(curl -fs -H "Authorization: Bearer $ref_token" "$base/api/v1/campaigns/$campaign/declarations?state=submitted&per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
  local indicator; indicator=$(curl -fs -H "Authorization: Bearer $lead_token" "$base/api/v1/declarations/$declaration" | python3 -c 'import json,sys; print(json.load(sys.stdin)["indicator"])')
  echo "- campaign $campaign: $queued submitted declarations in the queue; form of declaration $declaration ($indicator)"
  echo "- GET /readyz (ceiling), 32 connections, ${duration} s: $(wrk_run "$base/readyz")"
  echo "- GET /declarations/{id} (form page, leader), 32 connections, ${duration} s: $(wrk_run "$base/declarations/$declaration" "Cookie: cpom_session=$lead_cookie")"
  echo "- GET /api/v1/declarations/{id} (leader's token), 32 connections, ${duration} s: $(wrk_run "$base/api/v1/declarations/$declaration" "Authorization: Bearer $lead_token")"
  echo "- GET /campagnes/{id}?state=submitted (queue page, referent), 32 connections, ${duration} s: $(wrk_run "$base/campagnes/$campaign?state=submitted" "Cookie: cpom_session=$ref_cookie")"
  echo "- GET /campagnes/{id}?state=submitted&indicator=$indicator (queue of one indicator), 32 connections, ${duration} s: $(wrk_run "$base/campagnes/$campaign?state=submitted&indicator=$indicator" "Cookie: cpom_session=$ref_cookie")"
  echo "- GET /api/v1/campaigns/{id}/declarations?state=submitted (referent's token), 32 connections, ${duration} s: $(wrk_run "$base/api/v1/campaigns/$campaign/declarations?state=submitted" "Authorization: Bearer $ref_token")"
  local contract; contract=$(curl -fs -H "Authorization: Bearer $lead_token" "$base/api/v1/declarations/$declaration" | python3 -c 'import json,sys; print(json.load(sys.stdin)["contract_id"])')
  echo "- GET /campagnes/{id}/tableau-de-bord (dashboard page, referent), 32 connections, ${duration} s: $(wrk_run "$base/campagnes/$campaign/tableau-de-bord" "Cookie: cpom_session=$ref_cookie")"
  echo "- GET /api/v1/campaigns/{id}/dashboard (referent's token), 32 connections, ${duration} s: $(wrk_run "$base/api/v1/campaigns/$campaign/dashboard" "Authorization: Bearer $ref_token")"
  echo "- GET /contrats/{id}/bilan (scorecard page, leader), 32 connections, ${duration} s: $(wrk_run "$base/contrats/$contract/bilan" "Cookie: cpom_session=$lead_cookie")"
  echo "- GET /api/v1/contracts/{id}/scorecard (leader's token), 32 connections, ${duration} s: $(wrk_run "$base/api/v1/contracts/$contract/scorecard" "Authorization: Bearer $lead_token")"
  for i in 1 2 3; do
    echo "- GET /api/v1/campaigns/{id}/export.xlsx (every declaration), run $i: $(curl -fs -o /dev/null -w '%{time_total} s, %{size_download} bytes' -H "Authorization: Bearer $ref_token" "$base/api/v1/campaigns/$campaign/export.xlsx")"
  done
  for i in 1 2 3; do
    echo "- GET /api/v1/contracts/{id}/review-pack.pdf (leader's token), run $i: $(curl -fs -o /dev/null -w '%{time_total} s, %{size_download} bytes' -H "Authorization: Bearer $lead_token" "$base/api/v1/contracts/$contract/review-pack.pdf")"
  done
  echo "- peak RSS of the server: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' /proc/$pid/status)"
  kill -TERM $pid; wait $pid || true
}

on_both_backends cpom_bench_pages
