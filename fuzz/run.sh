#!/usr/bin/env bash
# Runs every libFuzzer target of Bagdar (cargo fuzz, on the stable toolchain).
#
#   bash fuzz/run.sh                 # 12 s per target (the CI run: about a minute)
#   bash fuzz/run.sh --seconds 600   # longer runs
#   bash fuzz/run.sh --runs 1000000  # a fixed number of executions per target
#   bash fuzz/run.sh --runs 1000000 cat_session   # only the named targets
#
# New inputs go to a temporary corpus; fuzz/corpus/<target> (the committed seeds) is
# only read. A crashing input is copied to fuzz/regressions/<target>/, where
# core/tests/fuzz_regressions.rs replays it with the ordinary test run, and the script
# fails. Needs `cargo install cargo-fuzz` and a C++ compiler (libFuzzer is built by
# libfuzzer-sys). cargo fuzz passes nightly-only flags to rustc; RUSTC_BOOTSTRAP=1 lets
# the stable compiler accept them (there is no sanitizer: `-s none`; core has no unsafe).
set -euo pipefail
cd "$(dirname "$0")/.."
limit=(-max_total_time=12)
all=(instrument response_rows settings binding_arguments scores_rows cat_session)
usage="usage: $0 [--seconds N | --runs N] [target ...]  (targets: ${all[*]})"
case "${1:-}" in
  --seconds) limit=(-max_total_time="${2:?$usage}"); shift 2 ;;
  --runs) limit=(-runs="${2:?$usage}"); shift 2 ;;
  -*) echo "$usage" >&2; exit 2 ;;
esac
targets=("${@:-${all[@]}}")
for t in "${targets[@]}"; do
  [[ " ${all[*]} " == *" $t "* ]] || { echo "unknown target $t; $usage" >&2; exit 2; }
done
export RUSTC_BOOTSTRAP=1
cargo fuzz build -s none
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for t in "${targets[@]}"; do
  mkdir -p "$scratch/$t"
  log="$scratch/$t.log"
  SECONDS=0
  if cargo fuzz run -s none "$t" "$scratch/$t" "fuzz/corpus/$t" -- \
      "${limit[@]}" -rss_limit_mb=1024 -malloc_limit_mb=1024 -timeout=5 -print_final_stats=1 \
      >"$log" 2>&1; then
    stat() { grep -E "^stat::$1" "$log" | awk '{print $2}'; }
    echo "fuzz $t: $(stat number_of_executed_units) executions in ${SECONDS} s" \
      "($(stat average_exec_per_sec)/s, peak RSS $(stat peak_rss_mb) MB), no crash"
  else
    status=1
    echo "fuzz $t: FAILED"
    tail -n 40 "$log"
    mkdir -p "fuzz/regressions/$t"
    cp fuzz/artifacts/"$t"/* "fuzz/regressions/$t/" 2>/dev/null || true
  fi
done
exit $status
