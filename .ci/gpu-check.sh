#!/usr/bin/env bash
# The GPU check (issue 12), run on a machine with an NVIDIA GPU and no Rust toolchain, from the
# repository root, with .gpu/ made by .ci/gpu-pack.sh beside it (the device tool: carry .gpu).
# It writes into $OUT (default /tmp/gpu-check), for benches/reference/runs/:
#   gpu.csv               the GPU (nvidia-smi), driver and CUDA version
#   device-check.json     one training step's loss and gradients against the CPU (tolerance
#                         1e-5 relative, norm-wise), and samples/s of the bench rows on the GPU
#   pytorch-rate.json     the same rows with PyTorch on the same GPU
#   studies.json          optimizers --quick on CUDA twice (--jobs 4, --jobs 1: same seed ->
#                         identical?) and on 2 CPU cores: mean test accuracy per cell within 0.5
#                         points?, runs/hour of each (tuning runs included); PyTorch's twin of a
#                         --quick run on the same GPU (1 and 4 processes), its runs/hour
#   pytorch-study-*.json  that twin's own output
#   gpu-check.log         everything printed
# Each part has its own time limit (a part cut short is reported, the others still run); the
# whole script stays under about 9 minutes. For a dry run of the script's logic on a machine
# without a GPU: DEVICE=cpu TB=target/release/trainbench DATA_DIR=/usr/share/datasets/fashion-mnist
# DC_ARGS='--windows 2 --steps 2 --batches 32' .ci/gpu-check.sh
set -uo pipefail
out=${OUT:-/tmp/gpu-check}
mkdir -p "$out"
exec > >(tee "$out/gpu-check.log") 2>&1
device=${DEVICE:-cuda}
data=${DATA_DIR:-.gpu/data}
work=$(mktemp -d)
echo "gpu-check: $(date -u +%FT%TZ), built from $(cat .gpu/commit 2>/dev/null || echo unknown)"

if [ -n "${TB:-}" ]; then
  tb=$TB
else
  xz -dc .gpu/trainbench.xz > "$work/trainbench" && chmod +x "$work/trainbench" || { echo "no .gpu/trainbench.xz: run .ci/gpu-pack.sh here first"; exit 1; }
  tb=$work/trainbench
fi
# cuBLAS 13 (and the rest of CUDA 13's libraries) from the Python environment's NVIDIA wheels,
# where the GPU machines keep them; the driver's libcuda is on the system path.
libs=$(python3 - <<'PY' 2>/dev/null
import glob, os, site
dirs = site.getsitepackages() + [site.getusersitepackages()]
found = sorted({os.path.dirname(p) for d in dirs for p in glob.glob(os.path.join(d, "nvidia", "**", "lib*.so.1[0-9]*"), recursive=True)})
print(":".join(found))
PY
)
export LD_LIBRARY_PATH=${libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
echo "== libraries"; ldd "$tb" | grep -Ei "cuda|cublas|not found" || true
echo "== GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv | tee "$out/gpu.csv" || echo "no nvidia-smi" | tee "$out/gpu.csv"
nvidia-smi | grep -o "CUDA Version: [0-9.]*" | tee -a "$out/gpu.csv" || true
nproc

echo "== 1. device-check (one step against the CPU; rates)"
timeout 120 "$tb" --data-dir "$data" device-check --device "$device" ${DC_ARGS:-} --out "$out/device-check.json"
echo "device-check: exit $?"

echo "== 2. PyTorch on the same device"
timeout 80 python3 benches/reference/pytorch_device_rate.py --device "$device" ${PT_ARGS:-} "$out/pytorch-rate.json"
echo "pytorch: exit $?"

echo "== 3. optimizers --quick: $device --jobs 4, $device --jobs 1, cpu (2 cores) --jobs 2"
study() { # name, seconds allowed, device, jobs, cpus
  local name=$1 limit=$2 dev=$3 jobs=$4 cpus=$5 start end
  start=$(date +%s.%N)
  timeout "$limit" taskset -c "$cpus" "$tb" --data-dir "$data" study optimizers --quick \
    --device "$dev" --jobs "$jobs" --results "$work/$name" > "$work/$name.log" 2>&1
  echo "$name: exit $? ($(tail -n 2 "$work/$name.log" | tr '\n' ' '))"
  end=$(date +%s.%N)
  echo "$name=$work/$name/optimizers:$(echo "$end - $start" | bc)" >> "$work/specs"
}
all=0-$(( $(nproc) - 1 ))
study cuda_jobs 90 "$device" 4 "$all"
study cuda_one 110 "$device" 1 "$all"
study cpu 60 cpu 2 0,1

echo "== 4. PyTorch's twin of a --quick run (2,000 images, 3 epochs) on $device: 1 and 4 processes"
for procs in 1 4; do
  timeout 30 python3 benches/reference/pytorch_study.py --device "$device" --runs 16 --epochs 3 \
    --train-subset 2000 --processes "$procs" --data-dir "$data" "$out/pytorch-study-$procs.json" \
    > /dev/null 2> "$work/pytorch-study-$procs.log"
  rc=$?
  rate=$(python3 -c 'import json,sys; print("%.0f runs/hour" % json.load(open(sys.argv[1]))["runs_per_hour"])' "$out/pytorch-study-$procs.json" 2>/dev/null)
  echo "pytorch study, $procs processes: exit $rc (${rate:-$(tail -n 1 "$work/pytorch-study-$procs.log")})"
  echo "pytorch_$procs=$out/pytorch-study-$procs.json" >> "$work/specs"
done
python3 .ci/gpu_compare.py "$out/studies.json" $(cat "$work/specs")
echo "gpu-check: done $(date -u +%FT%TZ)"
ls -la "$out"
