#!/usr/bin/env bash
# Packs what the GPU check (.ci/gpu-check.sh) needs on a machine with an NVIDIA GPU and no Rust
# toolchain, into .gpu/ (git-ignored; about 40 MB, inside the device tool's 64 MiB):
#   .gpu/trainbench.xz  the CUDA build of trainbench (`--features cuda`, CUDA 13.0 from PyPI's
#                       wheels via .ci/cuda-toolkit.sh), stripped and compressed
#   .gpu/data/          Fashion-MNIST's four official .gz files (checked by SHA-256 when read)
#   .gpu/commit         the commit it was built from (+ "-dirty" with local changes)
# Then run there, from the repository root: `bash .ci/gpu-check.sh` (carry .gpu).
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(.ci/cuda-toolkit.sh)"
CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target-cuda} cargo build --release --features cuda
bin=${CARGO_TARGET_DIR:-target-cuda}/release/trainbench
mkdir -p .gpu/data
strip -o .gpu/trainbench "$bin"
xz -T2 -6 -f .gpu/trainbench
src=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  cp "$src/$f.gz" .gpu/data/
done
echo "$(git rev-parse HEAD)$(git diff --quiet HEAD -- src crates Cargo.toml Cargo.lock || echo -dirty)" > .gpu/commit
du -sh .gpu
