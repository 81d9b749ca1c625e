//! The `trainbench` binary (temporarily without commands while the report module lands).
fn main() {}
