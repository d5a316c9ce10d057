#!/usr/bin/env bash
# Fuzzing of every reader (issue 9): the FINESS, SAE, authorisations and GHT registry files,
# the catalogue (text and workbook), the files of values, the action plans, and the target
# and applicability rules. Each fuzz target (fuzz/fuzz_targets) runs
# `cpom_import::robustness::check`: no panic, and every problem reported has a French message
# and a place inside the input. The corpus starts from real inputs (the shipped templates and
# catalogues, the head of the files of ../shared/data), written by the example `fuzz_seeds`
# from `cpom_import::robustness::seeds`. Prints, per target, the runs, the coverage reached,
# the corpus size and whether it crashed; a crash leaves its input in fuzz/artifacts/<target>/.
# Usage: bench/fuzz.sh [seconds per target, default 60] [target...]
# Needs: the nightly toolchain (rustup) and cargo-fuzz (installed with
# `cargo install cargo-fuzz --locked` when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(finess sae_id sae_sygen authorisations ght catalogue_toml catalogue_xlsx bulk_values plan target_rule applicability)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
corpus="${CPOM_FUZZ_CORPUS:-$PWD/target/fuzz-corpus}"
mkdir -p "$corpus"
cargo run -q --locked -p cpom-import --example fuzz_seeds -- "$corpus"
cargo +nightly fuzz build -O >/dev/null 2>&1 || cargo +nightly fuzz build -O
echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); cpom $(git rev-parse --short HEAD); ${seconds} s per target"
printf '%-16s %12s %8s %8s %8s  %s\n' target runs exec/s cov corpus result
failed=0
for t in "${targets[@]}"; do
  log=$(mktemp)
  if cargo +nightly fuzz run -O "$t" "$corpus/$t" -- -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 >"$log" 2>&1; then
    result=ok
  else
    result="CRASH (fuzz/artifacts/$t/, log $log)"
    failed=1
  fi
  # libFuzzer's last status line: "#N DONE cov: C ft: F corp: K/..., exec/s: E ...".
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  runs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$last")
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  corp=$(sed -nE 's/.* corp: ([0-9]+).*/\1/p' <<<"$last")
  eps=$(grep -oE 'exec/s: [0-9]+' "$log" | tail -1 | awk '{print $2}')
  printf '%-16s %12s %8s %8s %8s  %s\n' "$t" "${runs:-?}" "${eps:-?}" "${cov:-?}" "${corp:-?}" "$result"
  [ "$result" = ok ] && rm -f "$log"
done
exit $failed
