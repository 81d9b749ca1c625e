//! The instruction-set path the kernels take: AVX-512, AVX2 (with FMA), or portable Rust. The
//! best the CPU has is detected once; a thread may narrow it ([`narrow`], for tests and
//! benches) to check that every path gives the same bits, which version 2's kernels promise:
//! each sums in one order whatever the vector width (see `numerics`).

use std::cell::Cell;

/// A kernel path, widest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Path {
    /// 16-lane AVX-512F with fused multiply-add.
    Avx512,
    /// 8-lane AVX2 with FMA.
    Avx2,
    /// Plain Rust (`f32::mul_add` where the others fuse).
    Portable,
}

impl Path {
    /// Every path, widest first.
    pub const ALL: [Path; 3] = [Path::Avx512, Path::Avx2, Path::Portable];

    /// Its name as recorded with a run: `avx512`, `avx2` or `portable`.
    pub fn name(self) -> &'static str {
        match self {
            Path::Avx512 => "avx512",
            Path::Avx2 => "avx2",
            Path::Portable => "portable",
        }
    }

    /// Whether this CPU can run it.
    pub fn is_available(self) -> bool {
        self >= detected()
    }
}

/// The widest path this CPU supports.
pub fn detected() -> Path {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::OnceLock;
        static DETECTED: OnceLock<Path> = OnceLock::new();
        *DETECTED.get_or_init(|| {
            let fma = std::arch::is_x86_feature_detected!("fma");
            if fma && std::arch::is_x86_feature_detected!("avx512f") {
                Path::Avx512
            } else if fma && std::arch::is_x86_feature_detected!("avx2") {
                Path::Avx2
            } else {
                Path::Portable
            }
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    Path::Portable
}

thread_local! {
    static NARROWED: Cell<Option<Path>> = const { Cell::new(None) };
}

/// The path the calling thread's kernels take: the detected one unless narrowed.
pub fn current() -> Path {
    NARROWED.with(Cell::get).unwrap_or_else(detected)
}

/// Makes the calling thread's kernels take `path` (which must be available) until the returned
/// scope is dropped. A product split over threads keeps the path its caller chose.
///
/// # Panics
/// When this CPU cannot run `path`.
#[must_use = "the path holds only while the scope lives"]
pub fn narrow(path: Path) -> Narrowed {
    assert!(
        path.is_available(),
        "this CPU cannot run the {} path (it has {})",
        path.name(),
        detected().name()
    );
    Narrowed {
        previous: NARROWED.with(|n| n.replace(Some(path))),
        _not_send: std::marker::PhantomData,
    }
}

/// An open [`narrow`]; restores the previous path when dropped.
#[derive(Debug)]
pub struct Narrowed {
    previous: Option<Path>,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for Narrowed {
    fn drop(&mut self) {
        NARROWED.with(|n| n.set(self.previous));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrowing_is_per_thread_and_restored() {
        let widest = detected();
        assert_eq!(current(), widest);
        {
            let _portable = narrow(Path::Portable);
            assert_eq!(current(), Path::Portable);
            std::thread::spawn(move || assert_eq!(current(), widest))
                .join()
                .unwrap();
        }
        assert_eq!(current(), widest);
        assert!(Path::Portable.is_available());
    }
}
