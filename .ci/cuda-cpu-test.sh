#!/usr/bin/env bash
# The CUDA build, built for real and run where there is no GPU (issue 12: "a CUDA-built binary
# runs every command on CPU unchanged when no GPU is present"). CI's clippy only type-checks the
# feature (dfdx/ci-check skips nvcc and linking); this builds and links it and then checks, with
# NVIDIA's stub libcuda standing in for the missing driver:
#   1. `--device cuda` is a clear error (no panic, no abort) for study, verify and lr-find;
#   2. `--device auto` says it chose the CPU and trains: optimizers --quick gives the plain build's
#      numbers run by run (`trainbench compare`), and lr-find prints the plain build's lines and
#      draws the same chart;
#   3. `verify` with the CUDA build re-trains committed runs bit for bit (the default device).
#
#   .ci/cuda-cpu-test.sh [PLAIN_BINARY]     (default target/release/trainbench, built first)
#
# The CUDA build shares target/ with the plain one, so only cudarc, dfdx and trainbench compile
# again, and trainbench once more when the plain binary is put back at the end. About 3 minutes
# on 2 cores (measured 2 min 37 s, plus 30 s for CUDA 13.0's wheels, 1.2 GB, from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
plain=${1:-target/release/trainbench}
[ -x "$plain" ] || cargo build --release --bin trainbench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Build in a subshell: the toolkit's variables stay out of the plain build that restores target/.
(
  eval "$(.ci/cuda-toolkit.sh)"
  cargo build --release --features cuda --bin trainbench
  cp target/release/trainbench "$work/trainbench-cuda"
)
cargo build --release --bin trainbench  # the plain binary back in target/release
if ldd "$plain" | grep -q cublas; then
  echo "cuda-cpu-test: $plain is linked against cuBLAS: the plain build was not restored" >&2
  exit 1
fi
cuda=$work/trainbench-cuda
root=$PWD/.cuda/root/lib64
# Where no driver is installed, the stub answers every driver call with "stub library" (34).
export LD_LIBRARY_PATH=$root:$root/stubs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
ldd "$cuda" | grep -E "cublas|libcuda" | sed 's/^/cuda-cpu-test: linked: /'
fail() { echo "cuda-cpu-test: FAILED: $*" >&2; exit 1; }

echo "== 1. --device cuda without a GPU: a clear error"
expect_refusal() { # what, command...
  local what=$1 rc=0
  shift
  "$@" > "$work/out" 2>&1 || rc=$?
  cat "$work/out"
  [ "$rc" -ne 0 ] || fail "$what with --device cuda succeeded without a GPU"
  [ "$rc" -lt 100 ] || fail "$what with --device cuda died (exit $rc)"
  grep -q "panicked" "$work/out" && fail "$what with --device cuda panicked"
  grep -q "no usable CUDA GPU\|CUDA driver did not start\|no GPU with ordinal" "$work/out" ||
    fail "$what with --device cuda: the error does not say that no GPU answered"
  echo "cuda-cpu-test: $what --device cuda: refused (exit $rc)"
}
expect_refusal study "$cuda" study optimizers --quick --device cuda --results "$work/refused" --no-progress
expect_refusal verify "$cuda" verify optimizers --cheapest 1 --device cuda
expect_refusal lr-find "$cuda" lr-find optimizers --steps 20 --device cuda --results "$work/refused"
[ ! -e "$work/refused/optimizers/runs.parquet" ] || fail "a refused study wrote results"

echo "== 2. --device auto: the CPU, with the plain build's numbers"
"$cuda" study optimizers --quick --device auto --jobs 2 --results "$work/cuda" --no-progress > "$work/auto.log" 2>&1 ||
  { cat "$work/auto.log"; fail "optimizers --quick with --device auto"; }
grep "device auto" "$work/auto.log" || fail "--device auto did not say what it chose"
grep -q "device auto: cpu" "$work/auto.log" || fail "--device auto did not choose the CPU"
"$plain" study optimizers --quick --jobs 2 --results "$work/plain" --no-progress > /dev/null 2>&1 ||
  fail "optimizers --quick with the plain build"
"$plain" compare "$work/cuda/optimizers" "$work/plain/optimizers" ||
  fail "the CUDA build's CPU runs differ from the plain build's"
for bin in "$cuda" "$plain"; do
  "$bin" lr-find optimizers --steps 60 --device auto --results "$work/lr-$(basename "$bin")" 2>&1 |
    grep -v "device auto" | sed "s#$work/lr-[a-z-]*##g" > "$work/lr-$(basename "$bin").txt" ||
    fail "lr-find with $bin"
done
diff "$work/lr-trainbench-cuda.txt" "$work/lr-trainbench.txt" || fail "lr-find's lines differ between the builds"
cmp "$work/lr-trainbench-cuda/optimizers/lr_find.svg" "$work/lr-trainbench/optimizers/lr_find.svg" ||
  fail "lr-find's charts differ between the builds"
echo "cuda-cpu-test: lr-find, both builds: $(grep -i -m1 "suggest" "$work/lr-trainbench.txt" || head -1 "$work/lr-trainbench.txt")"

echo "== 3. verify with the CUDA build (committed runs, bit for bit)"
"$cuda" verify optimizers --cheapest 2 --jobs 2 || fail "verify optimizers with the CUDA build"
echo "cuda-cpu-test: passed"
