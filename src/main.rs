//! The `trainbench` binary: the command line with the built-in techniques (a user's crate calls
//! `trainbench::cli::main_with` with its own added).

use std::process::ExitCode;

fn main() -> ExitCode {
    trainbench::cli::main_with(trainbench::Registry::builtin())
}
