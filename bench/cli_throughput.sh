#!/usr/bin/env bash
# CLI throughput and peak memory (issue 10): a 1,000,000-row demo cohort scored end to
# end by the release `bagdar` binary, without decisions (scale scores only) and with
# decisions (every profile of the demo instrument). Prints rows/s and peak RSS from
# GNU time (`/usr/bin/time -v`; Debian package `time`).
#
#   bash bench/cli_throughput.sh                # 1M rows; decisions on 100k first
#   ROWS=200000 bash bench/cli_throughput.sh    # another cohort size
#   FULL_DECISIONS=1 bash bench/cli_throughput.sh   # decisions on all rows regardless
#
# Decisions are far slower than scoring. They are timed on the first 100,000 rows; the
# full file is scored with decisions only when that extrapolates to under 10 minutes
# (or FULL_DECISIONS=1), otherwise the 1M time is the 100k time × 10 and is marked so.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
SUBSET=${SUBSET:-100000}
SEED=${SEED:-20261123}
LIMIT_SECONDS=${LIMIT_SECONDS:-600}
WORK=${WORK:-${TMPDIR:-/tmp}/bagdar-cli-throughput}
INSTRUMENT=data/instruments/kasip-demo.json
mkdir -p "$WORK"

if [ ! -x /usr/bin/time ]; then
  echo "GNU time is missing: apt-get install -y time (as root)" >&2
  exit 2
fi

export CARGO_TERM_COLOR=never
cargo build --quiet --release -p bagdar-cli
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
BAGDAR="$target/release/bagdar"

# run LABEL ROWS CMD...: wall time, rows/s and peak RSS of one command.
run() {
  local label=$1 rows=$2
  shift 2
  /usr/bin/time -v -o "$WORK/time.txt" "$@" >"$WORK/stdout.txt" 2>"$WORK/stderr.txt" || {
    cat "$WORK/stderr.txt" >&2
    return 1
  }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/time.txt" |
    awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
  LAST_WALL=$wall
  printf '%-40s %9d rows %9.2f s %11.0f rows/s   peak RSS %6.1f MB\n' \
    "$label" "$rows" "$wall" "$(echo "$rows / $wall" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%FT%TZ)"
echo "binary: $BAGDAR ($("$BAGDAR" --version))"
csv="$WORK/cohort-$ROWS.csv"
if [ ! -s "$csv" ]; then
  run "simulate $ROWS students" "$ROWS" "$BAGDAR" simulate --instrument "$INSTRUMENT" \
    --students "$ROWS" --seed "$SEED" --no-malformed --output "$csv"
fi
echo "input: $csv, $(wc -l <"$csv") lines, $(du -h "$csv" | cut -f1)"

run "score --no-decision (scale scores)" "$ROWS" "$BAGDAR" score "$csv" \
  --instrument "$INSTRUMENT" --output "$WORK/scores.csv" --no-decision --quiet

subset="$WORK/cohort-$ROWS-first-$SUBSET.csv"
head -n $((SUBSET + 1)) "$csv" >"$subset"
run "score with decisions, first $SUBSET" "$SUBSET" "$BAGDAR" score "$subset" \
  --instrument "$INSTRUMENT" --output "$WORK/decisions-subset.csv" --quiet
subset_wall=$LAST_WALL
estimate=$(echo "$subset_wall * $ROWS / $SUBSET" | bc -l)
if [ "${FULL_DECISIONS:-0}" = 1 ] || [ "$(echo "$estimate < $LIMIT_SECONDS" | bc -l)" = 1 ]; then
  run "score with decisions (all profiles)" "$ROWS" "$BAGDAR" score "$csv" \
    --instrument "$INSTRUMENT" --output "$WORK/decisions.csv" --quiet
else
  printf '%-40s %9d rows %9.0f s %11.0f rows/s   (extrapolated from %d rows: over %d s, not run)\n' \
    "score with decisions (all profiles)" "$ROWS" "$estimate" "$(echo "$ROWS / $estimate" | bc -l)" \
    "$SUBSET" "$LIMIT_SECONDS"
fi
