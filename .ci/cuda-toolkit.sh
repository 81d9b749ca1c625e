#!/usr/bin/env bash
# Installs what `cargo build --release --features cuda` needs on a machine with no GPU, no CUDA
# install and no internet but the package registries, and prints the variables to export:
#
#   eval "$(.ci/cuda-toolkit.sh)" && cargo build --release --features cuda
#
# What it does, and why:
# - NVIDIA's own PyPI wheels (nvcc, runtime, NVRTC, cuBLAS, cuRAND, CCCL headers), pinned to CUDA 13.0: the
#   lent GPU machines run driver 580 / CUDA 13.0, and PTX from a newer nvcc would not load there.
#   They go into a virtual environment under .cuda/ (git-ignored).
# - One toolkit root, .cuda/root, with include/, bin/, nvvm/ and lib64/ pointing into the wheel's
#   nvidia/cu13 tree, plus the unversioned lib*.so names the linker asks for (the wheels ship
#   only lib*.so.13).
# - A stub libcuda.so in lib64/stubs: cudarc 0.9 links libcuda at build time, and a machine
#   without a driver has none. The stub defines every driver function cudarc declares and makes
#   each return CUDA_ERROR_STUB_LIBRARY (34), as NVIDIA's own stub does; at run time the real
#   driver's libcuda.so.1 is found instead (the stub is not on the library path).
# - CUDA_COMPUTE_CAP (default 90, the H200; set it for another GPU): dfdx 0.13.0's build script
#   asks nvidia-smi for it, so a shim nvidia-smi answering that one query sits at the END of PATH
#   (a real one, where there is a GPU, comes first).
# Idempotent: a second call reuses what the first installed.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD/.cuda
venv=$top/venv
root=$top/root
cap=${CUDA_COMPUTE_CAP:-90}

if [ ! -f "$venv/pins-2" ]; then  # pins-N: bump N when the pins change
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check \
    "nvidia-cuda-nvcc==13.0.88" "nvidia-cuda-runtime==13.0.88" "nvidia-cuda-nvrtc==13.0.88" \
    "nvidia-cublas==13.0.2.14" "nvidia-curand==10.4.0.35" "nvidia-cuda-cccl==13.0.85" \
    "nvidia-nvvm==13.0.88" "nvidia-cuda-crt==13.0.88" >&2
  touch "$venv/pins-2"
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

# dfdx 0.13.0's build script always asks `nvidia-smi --query-gpu=compute_cap` (it reads no
# variable); where no GPU is present, this shim answers that one query with $cap.
mkdir -p "$top/shim"
cat > "$top/shim/nvidia-smi" <<SHIM
#!/bin/sh
# Written by .ci/cuda-toolkit.sh: answers dfdx's build-time query where no GPU is present.
case "\$*" in
  *compute_cap*) printf 'compute_cap\n%s\n' "${cap%?}.${cap#"${cap%?}"}" ;;
  *) echo "nvidia-smi shim: no GPU here; only the compute_cap query is answered" >&2; exit 9 ;;
esac
SHIM
chmod +x "$top/shim/nvidia-smi"

echo "export CUDA_ROOT='$root'"
echo "export CUDA_COMPUTE_CAP='$cap'"
echo "export PATH='$root/bin':\"\$PATH\":'$top/shim'"
echo "export LD_LIBRARY_PATH='$root/lib64':\"\${LD_LIBRARY_PATH:-}\""
