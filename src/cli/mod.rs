//! The command line: [`main_with`] parses it and runs it with a registry of techniques (the
//! `trainbench` binary's built-ins, or a user's crate's own added to them). The clap types are in
//! [`args`], what each command does in [`commands`]; `pages` has the commands' HTML pages
//! (`report --all`, the index, claims.html).

pub mod args;
pub mod commands;
pub mod device_check;
mod pages;

use std::process::ExitCode;

use clap::Parser;

pub use args::*;

use crate::zoo::registry::Registry;

/// Parses the command line and runs it with `registry`'s techniques, mapping the outcome to an
/// exit code: the `trainbench` binary is `main_with(Registry::builtin())`, and a user's crate
/// runs the same command line with its own techniques added,
/// `main_with(Registry::builtin().optimizer::<MyOptimizer>())`, so its study files name them
/// like any built-in.
pub fn main_with(registry: Registry) -> ExitCode {
    // Like any Unix filter, end quietly when the reader of stdout goes away (`trainbench … |
    // head`) instead of panicking on a failed print: Rust ignores SIGPIPE by default.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    if let Err(e) = registry.install() {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
