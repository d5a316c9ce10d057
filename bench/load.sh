#!/usr/bin/env bash
# The load benchmark of issue 9: on a fresh national dataset (`cpom generate --scale
# national`, SQLite then PostgreSQL), cpom is started, signed in as each role (the form for
# the pages, a token for the API), and oha drives the main pages and API at 1, 8, 32 and 128
# concurrent clients: home, registry search, legal entity, contract, declaration form,
# validation queue, campaign dashboard (page and API), and the campaign's XLSX export (at 1
# and 8 clients only: each one builds the whole campaign). For each: requests per second,
# p50, p99, non-2xx and errors, and the ratio of the throughput to /readyz at the same
# concurrency (the stack's own ceiling). Then the server's peak RSS.
# Usage: bench/load.sh [seconds per run, default 5]
# Needs: oha (installed with `cargo install oha --locked` when missing), the local
# PostgreSQL at 127.0.0.1:5432 (CPOM_BENCH_POSTGRES_URL to use another server).
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-5}"
pg_admin="${CPOM_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
# shellcheck source=bench/lib.sh
source bench/lib.sh
oha_bin="$(need_oha)"
bin="$(cpom_bin release)"
port=18944
base="http://127.0.0.1:$port"
password="benchmark-password-2026"
export CPOM_DEMO_DATA_DIR="${CPOM_DEMO_DATA_DIR:-$(cd .. && pwd)/shared/data}" RUST_LOG=warn

# oha_run CONCURRENCY URL [HEADER...]: "rps p50_ms p99_ms non2xx errors" (one line).
oha_run() {
  local c=$1 url=$2; shift 2
  local args=(-z "${duration}s" -c "$c" --no-tui --output-format json)
  for h in "$@"; do args+=(-H "$h"); done
  "$oha_bin" "${args[@]}" "$url" | python3 -c '
import json, sys
d = json.load(sys.stdin)
s = d["summary"]; p = d.get("latencyPercentiles") or {}
codes = d.get("statusCodeDistribution") or {}
done = sum(codes.values())
non2xx = sum(n for code, n in codes.items() if not code.startswith("2"))
# Requests still running when the time is up are cut by oha: not errors of the server.
errors = sum(n for k, n in (d.get("errorDistribution") or {}).items() if "deadline" not in k)
ms = lambda v: (v or 0) * 1000
print("%.1f %.1f %.1f %d %d" % (done / s["total"] if s.get("total") else 0, ms(p.get("p50")), ms(p.get("p99")), non2xx, errors))'
}

run_backend() { # name url data_dir
  local name=$1 url=$2 dir=$3
  echo "### $name"
  export CPOM_DATABASE_URL="$url" CPOM_DATA_DIR="$dir" CPOM_BIND="127.0.0.1:$port" CPOM_SECURE_COOKIES=false
  "$bin" generate --scale national --seed 2026 | tail -n 1 | sed 's/^/- /'
  CPOM_PASSWORD="$password" "$bin" user create --email referent@cpom.bench --role ars-referent --region 76 --name "Référent" >/dev/null
  local ref_token; ref_token=$("$bin" token create --email referent@cpom.bench)
  "$bin" serve & local pid=$!
  for _ in $(seq 1 1000); do curl -fs "$base/readyz" >/dev/null 2>&1 && break; sleep 0.01; done
  local api=(-fs -H "Authorization: Bearer $ref_token")
  local campaign; campaign=$(curl "${api[@]}" "$base/api/v1/campaigns" | python3 -c '
import json, sys
items = json.load(sys.stdin)
items = items["items"] if isinstance(items, dict) else items
print(max((c for c in items if c["region"] == "76"), key=lambda c: c["year"])["id"])')
  local ids; ids=$(curl "${api[@]}" "$base/api/v1/campaigns/$campaign/declarations?state=submitted&per_page=1" | python3 -c '
import json, sys
d = json.load(sys.stdin)["items"][0]
print(d["id"], d["ej"], d["contract_id"])')
  local declaration ej contract; read -r declaration ej contract <<<"$ids"
  CPOM_PASSWORD="$password" "$bin" user create --email leader@cpom.bench --role establishment-leader --ej "$ej" --name "Direction" >/dev/null
  local lead_token; lead_token=$("$bin" token create --email leader@cpom.bench)
  local ref_cookie lead_cookie
  ref_cookie=$(sign_in referent@cpom.bench)
  lead_cookie=$(sign_in leader@cpom.bench)
  echo "- campaign $campaign (Occitanie, latest year); declaration $declaration of $ej, contract $contract"
  local R="Cookie: cpom_session=$ref_cookie" L="Cookie: cpom_session=$lead_cookie"
  local RT="Authorization: Bearer $ref_token" LT="Authorization: Bearer $lead_token"
  echo
  echo "| endpoint (who) | clients | req/s | p50 ms | p99 ms | non-2xx | errors | / readyz |"
  echo "|---|---|---|---|---|---|---|---|"
  for c in 1 8 32 128; do
    local ceiling; ceiling=$(oha_run "$c" "$base/readyz")
    echo "| /readyz | $c | $(awk '{printf "%s | %s | %s | %s | %s | 100 %%", $1, $2, $3, $4, $5}' <<<"$ceiling") |"
    local top; top=$(cut -d' ' -f1 <<<"$ceiling")
    while IFS='|' read -r label url header; do
      local r; r=$(oha_run "$c" "$base$url" "$header")
      echo "| $label | $c | $(awk -v top="$top" '{printf "%s | %s | %s | %s | %s | %.0f %%", $1, $2, $3, $4, $5, 100*$1/top}' <<<"$r") |"
    done <<EOT
/ (home, leader)|/|$L
/registre?q=centre (search, referent)|/registre?q=centre|$R
GET /api/v1/legal-entities?q=centre (referent)|/api/v1/legal-entities?q=centre|$RT
/registre/ej/{finess} (referent)|/registre/ej/$ej|$R
/contrats/{id} (leader)|/contrats/$contract|$L
/declarations/{id} (form, leader)|/declarations/$declaration|$L
GET /api/v1/declarations/{id} (leader)|/api/v1/declarations/$declaration|$LT
/campagnes/{id}?state=submitted (queue, referent)|/campagnes/$campaign?state=submitted|$R
/campagnes/{id}/tableau-de-bord (dashboard, referent)|/campagnes/$campaign/tableau-de-bord|$R
GET /api/v1/campaigns/{id}/dashboard (referent)|/api/v1/campaigns/$campaign/dashboard|$RT
EOT
    if [ "$c" -le 8 ]; then
      local r; r=$(oha_run "$c" "$base/api/v1/campaigns/$campaign/export.xlsx" "$RT")
      echo "| GET /api/v1/campaigns/{id}/export.xlsx (referent) | $c | $(awk -v top="$top" '{printf "%s | %s | %s | %s | %s | %.1f %%", $1, $2, $3, $4, $5, 100*$1/top}' <<<"$r") |"
    fi
  done
  echo
  echo "- peak RSS of the server: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' /proc/$pid/status)"
  kill -TERM $pid; wait $pid || true
}

on_both_backends cpom_bench_load
