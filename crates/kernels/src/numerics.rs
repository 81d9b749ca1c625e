//! The numerics version of the calling thread (see the crate header): a thread-local that a
//! training run sets for its duration with [`enter`], and that every kernel entry point reads
//! with [`current`] before it does anything else (so a matrix product split over threads decides
//! once, on the calling thread). Threads that never set it compute under [`V1`].
//!
//! A version is a promise about bits: the same version, build and inputs give the same bits on
//! every run, whatever the thread count; a change that alters any trained number is a new version,
//! never a change inside an old one.

use std::cell::Cell;

/// Version 1: the numbers every result recorded before numerics versions existed were made with.
pub const V1: u32 = 1;
/// Version 2: this crate's kernels (matrix products, vectorized exp, fused passes).
pub const V2: u32 = 2;
/// Every version this build can compute, oldest first.
pub const KNOWN: [u32; 2] = [V1, V2];

thread_local! {
    static VERSION: Cell<u32> = const { Cell::new(V1) };
}

/// The calling thread's numerics version ([`V1`] unless a [`Scope`] is open).
pub fn current() -> u32 {
    VERSION.with(Cell::get)
}

/// Whether `version` is one this build computes.
pub fn is_known(version: u32) -> bool {
    KNOWN.contains(&version)
}

/// Sets the calling thread's version until the returned scope is dropped, which restores the
/// previous one (scopes nest).
///
/// # Panics
/// For a version this build does not know (configs check theirs before training).
#[must_use = "the version holds only while the scope lives"]
pub fn enter(version: u32) -> Scope {
    assert!(
        is_known(version),
        "numerics version {version} is not one of {KNOWN:?}"
    );
    let previous = VERSION.with(|v| v.replace(version));
    Scope {
        previous,
        _not_send: std::marker::PhantomData,
    }
}

/// Runs `f` under `version` on the calling thread.
pub fn with<R>(version: u32, f: impl FnOnce() -> R) -> R {
    let _scope = enter(version);
    f()
}

/// An open [`enter`]: restores the previous version when dropped. Not `Send`: it belongs to
/// the thread whose version it set.
#[derive(Debug)]
pub struct Scope {
    previous: u32,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for Scope {
    fn drop(&mut self) {
        VERSION.with(|v| v.set(self.previous));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_nest_and_restore_per_thread() {
        assert_eq!(current(), V1);
        {
            let _two = enter(V2);
            assert_eq!(current(), V2);
            std::thread::spawn(|| assert_eq!(current(), V1, "another thread keeps its own"))
                .join()
                .unwrap();
            with(V1, || assert_eq!(current(), V1));
            assert_eq!(current(), V2);
        }
        assert_eq!(current(), V1);
    }

    #[test]
    #[should_panic(expected = "numerics version 3 is not one of")]
    fn unknown_versions_are_refused() {
        let _ = enter(3);
    }
}
