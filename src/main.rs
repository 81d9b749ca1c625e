//! The `trainbench` binary: the command line with the built-in techniques (a user's crate calls
//! `trainbench::cli::main_with` with its own added).

use std::process::ExitCode;

/// mimalloc instead of glibc's malloc. Why: a study trains each run on a worker thread, and glibc
/// gives such threads arenas of 64 MB heaps; a convolution's buffers (20 MB patch matrices at
/// batch 256) then need an extra heap each step, which glibc unmaps when freed and the kernel
/// clears again at the next step's first touch (2 runs of a LeNet-5 study cell, the whole
/// command: 2.2 s with glibc, 1.4 s with mimalloc).
/// The allocator changes no number; [`trainbench::train::tune_allocator`] sets it up.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    trainbench::train::tune_allocator();
    trainbench::cli::main_with(trainbench::Registry::builtin())
}
