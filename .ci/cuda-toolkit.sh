#!/usr/bin/env bash
# Installs what `cargo build --release --features cuda` needs on a machine with no GPU, no CUDA
# install and no internet but the package registries, and prints the variables to export:
#
#   eval "$(.ci/cuda-toolkit.sh)" && cargo build --release --features cuda
#
# What it does, and why:
# - NVIDIA's own PyPI wheels (nvcc, runtime, NVRTC, cuBLAS, cuRAND), pinned to CUDA 13.0: the
#   lent GPU machines run driver 580 / CUDA 13.0, and PTX from a newer nvcc would not load there.
#   They go into a virtual environment under .cuda/ (git-ignored).
# - One toolkit root, .cuda/root, with include/, bin/, nvvm/ and lib64/ pointing into the wheel's
#   nvidia/cu13 tree, plus the unversioned lib*.so names the linker asks for (the wheels ship
#   only lib*.so.13).
# - A stub libcuda.so in lib64/stubs: cudarc 0.9 links libcuda at build time, and a machine
#   without a driver has none. The stub defines every driver function cudarc declares and makes
#   each return CUDA_ERROR_STUB_LIBRARY (34), as NVIDIA's own stub does; at run time the real
#   driver's libcuda.so.1 is found instead (the stub is not on the library path).
# - CUDA_COMPUTE_CAP (default 90, the H200; override it for another GPU): dfdx's build script
#   would otherwise ask nvidia-smi, which a machine without a GPU does not have.
# Idempotent: a second call reuses what the first installed.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD/.cuda
venv=$top/venv
root=$top/root
cap=${CUDA_COMPUTE_CAP:-90}

if [ ! -x "$venv/bin/nvcc-installed" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check \
    "nvidia-cuda-nvcc==13.0.88" "nvidia-cuda-runtime==13.0.88" "nvidia-cuda-nvrtc==13.0.88" \
    "nvidia-cublas==13.0.2.14" "nvidia-curand==10.4.0.35" >&2
  touch "$venv/bin/nvcc-installed" && chmod +x "$venv/bin/nvcc-installed"
fi
cu=$(echo "$venv"/lib/python3*/site-packages/nvidia/cu13)
[ -f "$cu/include/cuda.h" ] || { echo "cuda-toolkit.sh: no include/cuda.h under $cu" >&2; exit 1; }

mkdir -p "$root/lib64/stubs"
for d in include bin nvvm; do ln -sfn "$cu/$d" "$root/$d"; done
for lib in "$cu"/lib/lib*.so.*; do
  name=$(basename "$lib")
  ln -sfn "$lib" "$root/lib64/$name"
  ln -sfn "$lib" "$root/lib64/${name%%.so.*}.so"
done

stub=$root/lib64/stubs/libcuda.so
if [ ! -f "$stub" ]; then
  sys=$(echo "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/cudarc-0.9.15/src/driver/sys.rs | awk '{print $1}')
  [ -f "$sys" ] || { echo "cuda-toolkit.sh: cudarc 0.9.15's sources are not fetched yet; run \`cargo fetch\` first" >&2; exit 1; }
  grep -o 'pub fn cu[A-Za-z0-9_]*' "$sys" | sort -u |
    awk '{print "int " $3 "(void) { return 34; /* CUDA_ERROR_STUB_LIBRARY */ }"}' > "$top/libcuda-stub.c"
  cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$stub" "$top/libcuda-stub.c"
  ln -sfn libcuda.so "$root/lib64/stubs/libcuda.so.1"
fi

echo "export CUDA_ROOT='$root'"
echo "export CUDA_COMPUTE_CAP='$cap'"
echo "export PATH='$root/bin':\"\$PATH\""
echo "export LD_LIBRARY_PATH='$root/lib64':\"\${LD_LIBRARY_PATH:-}\""
