//! Where runs train: `--device cpu|cuda|cuda:N|auto`, parsed, resolved against what this build
//! and this machine have, and named for the runs table.
//!
//! The model and the training loop are generic over the dfdx device; this module only chooses
//! one. The CPU is always there. CUDA is there when trainbench was built with `--features cuda`
//! and a GPU answers; `auto` takes it then and the CPU otherwise, and says which. A device is part
//! of a result set's identity like `--quick`: runs of the CPU and of a GPU are not mixed in one
//! table (study/runner.rs refuses it, verify compares like with like).
//!
//! What this module does not do: make a CUDA run's numbers match a CPU run's bit for bit. They
//! cannot (different kernels, different summation orders); README's CUDA section says what is
//! expected instead.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// What the user asked for with `--device`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// The CPU (the default: committed results are CPU runs).
    #[default]
    Cpu,
    /// The CUDA GPU of this ordinal (`cuda` = `cuda:0`).
    Cuda(usize),
    /// A GPU when this build has CUDA and one answers, else the CPU.
    Auto,
}

impl FromStr for DeviceChoice {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let valid = "valid: cpu, cuda, cuda:N (N = 0, 1, …), auto";
        match s.trim().to_ascii_lowercase().as_str() {
            "cpu" => Ok(Self::Cpu),
            "auto" => Ok(Self::Auto),
            "cuda" | "gpu" => Ok(Self::Cuda(0)),
            other => match other.strip_prefix("cuda:") {
                Some(n) => n
                    .parse()
                    .map(Self::Cuda)
                    .map_err(|_| format!("'{s}': the GPU ordinal must be a number ({valid})")),
                None => Err(format!("unknown device '{s}' ({valid})")),
            },
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cpu => write!(f, "cpu"),
            Self::Cuda(n) => write!(f, "cuda:{n}"),
            Self::Auto => write!(f, "auto"),
        }
    }
}

/// The device runs will train on, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compute {
    /// The CPU.
    Cpu,
    /// A CUDA GPU (only in a build with `--features cuda`).
    #[cfg(feature = "cuda")]
    Cuda {
        /// Its ordinal.
        ordinal: usize,
        /// What the runs table records of it ([`gpu_label`]), asked of the driver once.
        label: String,
    },
}

impl Compute {
    /// What the runs table records: `cpu`, or the GPU's [`gpu_label`].
    pub fn label(&self) -> String {
        match self {
            Self::Cpu => "cpu".into(),
            #[cfg(feature = "cuda")]
            Self::Cuda { label, .. } => label.clone(),
        }
    }
}

/// What the runs table records of a GPU: `cuda:N (its name, CUDA driver X.Y, cuBLAS a.b.c)`,
/// e.g. `cuda:0 (NVIDIA H200, CUDA driver 13.0, cuBLAS 13.0.2)`: which GPU, the CUDA version
/// its driver supports (`cuDriverGetVersion`'s 1000·major + 10·minor) and the cuBLAS library the
/// run loaded, the parts of a GPU run's numbers that the build does not fix. What is unknown is
/// left out. Its kind ([`kind_of`]) is `cuda`, like a label without the details.
pub fn gpu_label(
    ordinal: usize,
    name: Option<&str>,
    driver: Option<i32>,
    cublas: Option<(i32, i32, i32)>,
) -> String {
    let mut details = Vec::new();
    if let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) {
        details.push(name.to_string());
    }
    if let Some(v) = driver {
        details.push(format!("CUDA driver {}.{}", v / 1000, (v % 1000) / 10));
    }
    if let Some((major, minor, patch)) = cublas {
        details.push(format!("cuBLAS {major}.{minor}.{patch}"));
    }
    if details.is_empty() {
        format!("cuda:{ordinal}")
    } else {
        format!("cuda:{ordinal} ({})", details.join(", "))
    }
}

/// The kind of a recorded device label (`cpu`, `cuda`): what must match for runs to share a
/// table or for `verify` to compare them. Runs recorded before devices were recorded say `cpu`.
pub fn kind_of(label: &str) -> &str {
    label.split(':').next().unwrap_or(label)
}

/// Resolves a choice against this build and machine. `auto` never fails; `cuda` fails with what
/// to do when this build has no CUDA or the GPU does not answer. The second value is a line for
/// the user saying what `auto` chose and why (None when nothing needs saying).
pub fn resolve(choice: DeviceChoice) -> Result<(Compute, Option<String>)> {
    match choice {
        DeviceChoice::Cpu => Ok((Compute::Cpu, None)),
        DeviceChoice::Cuda(ordinal) => cuda(ordinal).map(|c| (c, None)),
        DeviceChoice::Auto => Ok(match cuda(0) {
            Ok(c) => {
                let line = format!("device auto: {} (a CUDA GPU answered)", c.label());
                (c, Some(line))
            }
            Err(e) => (Compute::Cpu, Some(format!("device auto: cpu ({e})"))),
        }),
    }
}

#[cfg(not(feature = "cuda"))]
fn cuda(ordinal: usize) -> Result<Compute> {
    Err(Error::invalid(
        format!("--device cuda:{ordinal}"),
        "this trainbench was built without CUDA; build it with `cargo build --release \
         --features cuda` (README, section CUDA) or use --device cpu",
    ))
}

#[cfg(feature = "cuda")]
fn cuda(ordinal: usize) -> Result<Compute> {
    // Building a dfdx device opens the GPU's context, loads cuBLAS and reports a missing driver
    // or ordinal as an error (CudaDevice::count() would panic instead).
    open_cuda(ordinal, 0)?;
    Ok(Compute::Cuda {
        ordinal,
        label: gpu_label(
            ordinal,
            gpu_name(ordinal).as_deref(),
            driver_version(),
            cublas_version(),
        ),
    })
}

/// The GPU's name, as the driver gives it.
#[cfg(feature = "cuda")]
fn gpu_name(ordinal: usize) -> Option<String> {
    let mut device = 0;
    let mut name = [0 as std::os::raw::c_char; 256];
    // SAFETY: plain driver-API calls (the driver is started: open_cuda succeeded); each writes
    // into a buffer we own, of the length given.
    unsafe {
        if cuDeviceGet(&mut device, ordinal as std::os::raw::c_int) != 0
            || cuDeviceGetName(name.as_mut_ptr(), name.len() as std::os::raw::c_int, device) != 0
        {
            return None;
        }
        Some(
            std::ffi::CStr::from_ptr(name.as_ptr())
                .to_string_lossy()
                .into_owned(),
        )
    }
}

/// The CUDA version the driver supports (1000·major + 10·minor).
#[cfg(feature = "cuda")]
fn driver_version() -> Option<i32> {
    let mut version = 0;
    // SAFETY: writes one int we own.
    (unsafe { cuDriverGetVersion(&mut version) } == 0).then_some(version)
}

/// The version of the cuBLAS library loaded (major, minor, patch).
#[cfg(feature = "cuda")]
fn cublas_version() -> Option<(i32, i32, i32)> {
    let mut parts = [0; 3];
    for (kind, part) in parts.iter_mut().enumerate() {
        // SAFETY: cublasGetProperty needs no handle and writes one int we own; kinds 0, 1, 2 are
        // libraryPropertyType's MAJOR_VERSION, MINOR_VERSION and PATCH_LEVEL.
        if unsafe { cublasGetProperty(kind as std::os::raw::c_int, part) } != 0 {
            return None;
        }
    }
    Some((parts[0], parts[1], parts[2]))
}

/// The dfdx CUDA device of `ordinal`, its CPU-side randomness seeded with `seed`; a GPU that
/// cannot be opened is an error naming the driver's or cuBLAS's status code.
#[cfg(feature = "cuda")]
pub fn open_cuda(ordinal: usize, seed: u64) -> Result<dfdx::tensor::Cuda> {
    use dfdx::tensor::CudaError;
    check_driver(ordinal)?;
    dfdx::tensor::Cuda::try_build(ordinal, seed).map_err(|e| {
        // Only the status codes: cudarc's Debug of a driver error asks the driver for its text
        // and panics when there is no driver (the stub libcuda answers nothing).
        let status = match &e {
            CudaError::Driver(d) => format!("CUDA driver status {:?}", d.0),
            CudaError::Blas(b) => format!("cuBLAS status {:?}", b.0),
            CudaError::Cpu(c) => format!("{c:?}"),
        };
        Error::invalid(
            format!("--device cuda:{ordinal}"),
            format!("no usable CUDA GPU with ordinal {ordinal}: {status}"),
        )
    })
}

// The two driver calls made before dfdx's: cudarc 0.9's CudaDevice::new unwraps cuInit's and
// cuDeviceGet's results, so without a driver (or with too high an ordinal) it would panic. libcuda
// is linked by cudarc already.
#[cfg(feature = "cuda")]
extern "C" {
    fn cuInit(flags: std::os::raw::c_uint) -> std::os::raw::c_int;
    fn cuDeviceGetCount(count: *mut std::os::raw::c_int) -> std::os::raw::c_int;
    fn cuDeviceGet(
        device: *mut std::os::raw::c_int,
        ordinal: std::os::raw::c_int,
    ) -> std::os::raw::c_int;
    fn cuDeviceGetName(
        name: *mut std::os::raw::c_char,
        len: std::os::raw::c_int,
        device: std::os::raw::c_int,
    ) -> std::os::raw::c_int;
    fn cuDriverGetVersion(version: *mut std::os::raw::c_int) -> std::os::raw::c_int;
}

// cuBLAS's version query (linked by cudarc as well); 0 is CUBLAS_STATUS_SUCCESS.
#[cfg(feature = "cuda")]
extern "C" {
    fn cublasGetProperty(
        kind: std::os::raw::c_int,
        value: *mut std::os::raw::c_int,
    ) -> std::os::raw::c_int;
}

/// Checks that the CUDA driver answers and has a GPU of this ordinal.
#[cfg(feature = "cuda")]
fn check_driver(ordinal: usize) -> Result<()> {
    let what = || format!("--device cuda:{ordinal}");
    // SAFETY: both are plain driver-API calls; cuDeviceGetCount writes one int we own.
    let status = unsafe { cuInit(0) };
    if status != 0 {
        return Err(Error::invalid(
            what(),
            format!(
                "the CUDA driver did not start (cuInit status {status}{}); use --device cpu",
                if status == 34 {
                    ": the stub libcuda, no driver on this machine"
                } else {
                    ""
                }
            ),
        ));
    }
    let mut count = 0;
    // SAFETY: as above.
    let status = unsafe { cuDeviceGetCount(&mut count) };
    if status != 0 || ordinal >= count.max(0) as usize {
        return Err(Error::invalid(
            what(),
            format!("no GPU with ordinal {ordinal}: the driver reports {count} (status {status})"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_parse_and_print_back() {
        for (text, choice) in [
            ("cpu", DeviceChoice::Cpu),
            ("CUDA", DeviceChoice::Cuda(0)),
            ("cuda:3", DeviceChoice::Cuda(3)),
            ("auto", DeviceChoice::Auto),
        ] {
            assert_eq!(text.parse::<DeviceChoice>().unwrap(), choice);
        }
        assert_eq!(DeviceChoice::Cuda(2).to_string(), "cuda:2");
        let err = "tpu".parse::<DeviceChoice>().unwrap_err();
        assert!(
            err.contains("unknown device 'tpu'") && err.contains("cuda:N"),
            "{err}"
        );
        let err = "cuda:x".parse::<DeviceChoice>().unwrap_err();
        assert!(err.contains("ordinal must be a number"), "{err}");
    }

    #[test]
    fn kinds_ignore_the_ordinal_and_the_details() {
        assert_eq!(kind_of("cuda:1"), "cuda");
        assert_eq!(kind_of("cpu"), "cpu");
        let label = gpu_label(0, Some("NVIDIA H200"), Some(13000), Some((13, 0, 2)));
        assert_eq!(
            label,
            "cuda:0 (NVIDIA H200, CUDA driver 13.0, cuBLAS 13.0.2)"
        );
        assert_eq!(kind_of(&label), "cuda");
    }

    #[test]
    fn a_gpu_label_leaves_out_what_is_unknown() {
        assert_eq!(gpu_label(2, None, None, None), "cuda:2");
        assert_eq!(
            gpu_label(1, Some(" "), Some(12080), None),
            "cuda:1 (CUDA driver 12.8)"
        );
        assert_eq!(
            gpu_label(0, Some("Tesla T4 "), None, Some((12, 4, 5))),
            "cuda:0 (Tesla T4, cuBLAS 12.4.5)"
        );
    }

    #[test]
    fn the_cpu_is_always_there_and_auto_says_what_it_chose() {
        assert_eq!(resolve(DeviceChoice::Cpu).unwrap(), (Compute::Cpu, None));
        let (auto, line) = resolve(DeviceChoice::Auto).unwrap();
        assert!(line.unwrap().starts_with("device auto: "));
        #[cfg(not(feature = "cuda"))]
        {
            assert_eq!(auto, Compute::Cpu);
            let err = resolve(DeviceChoice::Cuda(0)).unwrap_err().to_string();
            assert!(err.contains("built without CUDA"), "{err}");
        }
        #[cfg(feature = "cuda")]
        let _ = auto;
    }
}
