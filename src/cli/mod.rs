//! The command line: [`main_with`] parses it and runs it with a registry of techniques (the
//! `trainbench` binary's built-ins, or a user's crate's own added to them). The clap types are in
//! [`args`], what each command does in [`commands`]; `pages` has the commands' HTML pages
//! (`report --all`, the index, claims.html), `export` the `export` command.

pub mod args;
pub mod commands;
pub mod device_check;
mod export;
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
            eprintln!("error: {}", error_text(&e));
            ExitCode::FAILURE
        }
    }
}

/// The message of `e` and its causes, joined by ": ", each cause said once. A library error that
/// already quotes its cause (an [`crate::Error::Io`] shows its `std::io::Error`, which is also its
/// `source`) or a context that quotes the error it wraps would otherwise print the same words
/// twice, as anyhow's `{:#}` does ("Not a directory (os error 20): Not a directory (os error
/// 20)"): a cause whose text is already in the message is left out, and one that already holds
/// the whole message so far replaces it.
pub fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if text.is_empty() || part.contains(&text) {
            // The first message, or a cause that already says everything said so far.
            text = part;
        } else if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn an_io_cause_is_said_once() {
        let io = std::io::Error::from_raw_os_error(20);
        let e: anyhow::Error = crate::Error::io("creating", "README.md/optimizers", io).into();
        assert_eq!(
            format!("{e:#}").matches("Not a directory").count(),
            2,
            "anyhow's own chain repeats the cause: {e:#}"
        );
        let text = error_text(&e);
        assert_eq!(text.matches("Not a directory").count(), 1, "{text}");
        assert!(
            text.starts_with("creating README.md/optimizers: "),
            "{text}"
        );
    }

    #[test]
    fn a_context_and_a_different_cause_are_both_said() {
        let io = std::io::Error::from_raw_os_error(2);
        let e = Err::<(), _>(io)
            .context("reading studies/x.toml")
            .unwrap_err();
        let text = error_text(&e);
        assert!(
            text.starts_with("reading studies/x.toml: No such file or directory"),
            "{text}"
        );
        let nested = Err::<(), _>(e).context("loading the study").unwrap_err();
        assert!(error_text(&nested).starts_with("loading the study: reading"));
        assert_eq!(
            error_text(&nested).matches("No such file").count(),
            1,
            "{}",
            error_text(&nested)
        );
    }
}
