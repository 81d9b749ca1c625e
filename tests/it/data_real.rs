//! The real Fashion-MNIST, found the way a user's machine finds it: `data::load` with default
//! options (TRAINBENCH_DATA_DIR, the cache, or Debian's /usr/share/datasets/fashion-mnist; CI runs
//! `apt-get install dataset-fashion-mnist`). Checks the split sizes, DATA.md's sanity figures, the
//! class balance and the pixel range. Loaded once for all the tests in this file.

use std::sync::OnceLock;
use std::time::Instant;

use trainbench::data::{self, DataOptions, FashionMnist, SourceKind, Split};

fn real() -> &'static FashionMnist {
    static DATA: OnceLock<FashionMnist> = OnceLock::new();
    DATA.get_or_init(|| {
        let start = Instant::now();
        // As `trainbench study` does: on a fresh machine without the Debian package the official
        // files are fetched into the cache (HTTPS, else `apt-get download`), checked by SHA-256.
        let options = DataOptions {
            fetch: true,
            ..DataOptions::default()
        };
        let data = data::load(&options).unwrap_or_else(|e| panic!("{e}"));
        eprintln!(
            "loaded Fashion-MNIST from {} ({}) in {:.2?}",
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
fn real_data_splits_55000_5000_10000() {
    let d = real();
    assert_eq!(d.train.len(), 55_000);
    assert_eq!(d.val.len(), 5_000);
    assert_eq!(d.test.len(), 10_000);
    for s in [&d.train, &d.val, &d.test] {
        assert_eq!(s.images.len(), s.len() * data::FEATURES);
    }
    // Any source: found in place, or fetched into the cache on a machine that had it nowhere.
    assert!(matches!(
        d.located.kind,
        SourceKind::UserDir | SourceKind::Cache | SourceKind::Debian | SourceKind::Downloaded
    ));
}

#[test]
fn real_data_files_and_fingerprint_are_the_official_ones() {
    let d = real();
    let names: Vec<&str> = d.located.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "train-images-idx3-ubyte",
            "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte"
        ]
    );
    for (f, e) in d
        .located
        .files
        .iter()
        .zip(&data::catalog::FASHION_MNIST.files)
    {
        assert_eq!((f.bytes, f.sha256.as_str()), (e.bytes, e.sha256));
        assert!(f.path.starts_with(&d.located.dir));
    }
    // SHA-256 over the four checksums (hex, concatenated in the order above).
    assert_eq!(
        d.fingerprint,
        "d1fd84a877f3b78fa9a171b3de73f93e7b6f69ed94bada3feae9d96821401f5c"
    );
    // locate finds the same files in the same place, without splitting (a fetch's cache is then
    // found as the cache).
    let located = data::locate(&DataOptions::default()).unwrap();
    assert_eq!(
        (&located.dir, &located.files),
        (&d.located.dir, &d.located.files)
    );
}

#[test]
fn real_data_mean_pixel_matches_data_md() {
    let d = real();
    let train = joined(&d.train, &d.val);
    assert_eq!(format!("{:.3}", data::mean_pixel(&train)), "72.940");
    assert_eq!(format!("{:.3}", data::mean_pixel(&d.test)), "73.147");
}

#[test]
fn real_data_classes_are_balanced() {
    let d = real();
    let train = joined(&d.train, &d.val);
    assert_eq!(train.class_counts(), [6_000; 10]);
    assert_eq!(d.test.class_counts(), [1_000; 10]);
}

#[test]
fn real_data_pixels_span_0_to_1() {
    let d = real();
    for s in [&d.train, &d.val, &d.test] {
        let (lo, hi) = s
            .images
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &p| {
                (lo.min(p), hi.max(p))
            });
        assert_eq!((lo, hi), (0.0, 1.0));
    }
}

#[test]
fn real_data_validation_is_the_tail_of_the_training_file() {
    let d = real();
    // The first and last labels of the official training file (the last end the validation set).
    assert_eq!(d.train.labels[..10], [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    assert_eq!(d.val.labels[4_990..], [4, 1, 7, 2, 8, 5, 1, 3, 0, 5]);
    assert_eq!(d.test.labels[..10], [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    let head = d.train.head(3);
    assert_eq!(head.labels, [9, 0, 0]);
    assert_eq!(head.images[..], d.train.images[..3 * data::FEATURES]);
}
