//! Every integration test in one test binary: one link of the crate and its dependencies instead
//! of one per file, which was most of CI's build time. Each module is what used to be its own
//! `tests/NAME.rs`; run one with `cargo test --release --test it NAME::`.

mod activation_conformance;
mod bad_input;
mod batch_norm_conformance;
mod batch_norm_folding;
mod clip_schedule_conformance;
mod cnn;
mod common;
mod conv_conformance;
mod custom_technique;
mod data_mnist_real;
mod data_real;
mod determinism;
mod diagnostics;
mod figures;
mod full_disk;
mod fuzz_parsers;
mod gemm_routes;
mod html_browser;
mod inference_reference;
mod interleaved_stats;
mod kernels_descent;
mod kernels_exp;
mod kernels_sgemm;
mod kernels_special;
mod layers;
mod learned_activation_conformance;
mod mlflow_export;
mod optimizer_conformance;
mod read_results_example;
mod real_data_end_to_end;
mod redesigned_metrics;
mod redesigned_studies;
mod regularization_conformance;
mod repair;
mod resume;
mod reuse;
mod seed_axes;
mod soak;
mod study_reuse;
mod techniques_change_training;
mod tuning;
mod until_decided;
mod workload_studies;
mod workloads;
