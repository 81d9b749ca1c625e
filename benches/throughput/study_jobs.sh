#!/usr/bin/env bash
# Study throughput, 1 job vs N parallel jobs: trains the optimizers study (all 9 cells) with
# SEEDS seeds and EPOCHS epochs into fresh temporary result directories, once with --jobs 1 and
# once with --jobs N, and prints the wall times, their ratio and runs per hour (scaled to the
# study's 20 epochs). Run it on an otherwise idle machine, from the repository root:
#
#   benches/throughput/study_jobs.sh [JOBS=2] [SEEDS=2] [EPOCHS=5]
#
# Needs a release build (`cargo build --release`) and the data (`trainbench data fetch`).
set -euo pipefail
jobs=${1:-2}
seeds=${2:-2}
epochs=${3:-5}
study_epochs=20
bin=${TRAINBENCH_BIN:-target/release/trainbench}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() { # $1: jobs; prints wall seconds
  local start end
  start=$(date +%s.%N)
  "$bin" study optimizers --seeds "$seeds" --epochs "$epochs" --jobs "$1" --no-progress \
    --results "$work/jobs$1" > "$work/jobs$1.log" 2>&1
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

runs=$((9 * seeds))
echo "optimizers study, $runs runs of $epochs epochs; $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load average before: $(cut -d' ' -f1 /proc/loadavg)"
t1=$(run 1)
tn=$(run "$jobs")
if "$bin" compare "$work/jobs1/optimizers" "$work/jobs$jobs/optimizers" > /dev/null 2>&1; then
  same="identical"
else
  same="DIFFERENT"
fi
printf '| jobs | wall s | runs/hour (%d-epoch runs) |\n| ---: | ---: | ---: |\n' "$study_epochs"
for pair in "1 $t1" "$jobs $tn"; do
  set -- $pair
  printf '| %d | %.1f | %.0f |\n' "$1" "$2" "$(echo "$runs * 3600 / $2 * $epochs / $study_epochs" | bc -l)"
done
printf 'wall time with %d jobs / 1 job: %.3f (target <= 0.55); recorded numbers %s across job counts\n' \
  "$jobs" "$(echo "$tn / $t1" | bc -l)" "$same"
