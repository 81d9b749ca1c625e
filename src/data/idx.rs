//! The IDX format of (Fashion-)MNIST: a big-endian header (magic number, counts, sizes) followed by
//! u8 values. Pure functions over bytes already in memory; the path is only used to name the file
//! in errors. Finding, decompressing and checksumming files lives in `source.rs`.

use std::path::Path;

use crate::error::{Error, Result};

/// Magic number of an images file (u8 values, 3 dimensions: count, rows, cols).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of a labels file (u8 values, 1 dimension: count).
pub const LABELS_MAGIC: u32 = 0x0000_0801;
/// The classes are 0..=9.
pub const CLASSES: u8 = 10;

/// An images file, borrowed from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Images<'a> {
    /// Number of images.
    pub count: usize,
    /// Rows per image.
    pub rows: usize,
    /// Columns per image.
    pub cols: usize,
    /// count × rows × cols pixels, row-major, one image after another.
    pub pixels: &'a [u8],
}

fn corrupt(path: &Path, message: String) -> Error {
    Error::DataCorrupt {
        path: path.to_path_buf(),
        message,
    }
}

/// The first `N` big-endian u32 header fields, or an error saying the file is truncated.
fn header<const N: usize>(path: &Path, bytes: &[u8], what: &str) -> Result<[usize; N]> {
    let need = 4 * N;
    if bytes.len() < need {
        return Err(corrupt(
            path,
            format!(
                "truncated: an IDX {what} header is {need} bytes, the file has {}",
                bytes.len()
            ),
        ));
    }
    Ok(std::array::from_fn(|i| {
        let b = &bytes[4 * i..4 * i + 4];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize
    }))
}

fn check_magic(path: &Path, magic: usize, expected: u32, what: &str) -> Result<()> {
    if magic != expected as usize {
        return Err(corrupt(
            path,
            format!("magic number {magic:#010x}, expected {expected:#010x} (IDX {what})"),
        ));
    }
    Ok(())
}

/// "truncated" when there are fewer bytes than announced, else "trailing bytes".
fn length_problem(found: usize, announced: usize) -> &'static str {
    if found < announced {
        "truncated"
    } else {
        "trailing bytes"
    }
}

/// Parses an IDX images file (magic 0x00000803).
pub fn parse_images<'a>(path: &Path, bytes: &'a [u8]) -> Result<Images<'a>> {
    let [magic, count, rows, cols] = header::<4>(path, bytes, "images")?;
    check_magic(path, magic, IMAGES_MAGIC, "images")?;
    let pixels = &bytes[16..];
    let expected = count
        .checked_mul(rows)
        .and_then(|n| n.checked_mul(cols))
        .ok_or_else(|| {
            corrupt(
                path,
                format!("absurd header: {count} images of {rows}×{cols}"),
            )
        })?;
    if pixels.len() != expected {
        return Err(corrupt(
            path,
            format!(
                "{}: {count} images of {rows}×{cols} need {expected} bytes of pixels, the file \
                 has {}",
                length_problem(pixels.len(), expected),
                pixels.len()
            ),
        ));
    }
    Ok(Images {
        count,
        rows,
        cols,
        pixels,
    })
}

/// Parses an IDX labels file (magic 0x00000801); every label must be a class 0..=9.
pub fn parse_labels<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a [u8]> {
    let [magic, count] = header::<2>(path, bytes, "labels")?;
    check_magic(path, magic, LABELS_MAGIC, "labels")?;
    let labels = &bytes[8..];
    if labels.len() != count {
        return Err(corrupt(
            path,
            format!(
                "{}: {count} labels announced, the file has {}",
                length_problem(labels.len(), count),
                labels.len()
            ),
        ));
    }
    if let Some(i) = labels.iter().position(|&l| l >= CLASSES) {
        return Err(corrupt(
            path,
            format!("label {} at index {i} is not a class 0..=9", labels[i]),
        ));
    }
    Ok(labels)
}

/// Checks that an images file and its labels file agree on the count, and that each image has
/// `features` pixels. The error names the labels file.
pub fn check_pair(
    labels_path: &Path,
    images: &Images<'_>,
    labels: &[u8],
    features: usize,
) -> Result<()> {
    if images.rows * images.cols != features {
        return Err(corrupt(
            labels_path,
            format!(
                "its images are {}×{}, expected {features} pixels each",
                images.rows, images.cols
            ),
        ));
    }
    if images.count != labels.len() {
        return Err(corrupt(
            labels_path,
            format!(
                "count mismatch: {} labels for {} images",
                labels.len(),
                images.count
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "fake-idx3-ubyte";

    fn images(count: u32, rows: u32, cols: u32, pixels: usize) -> Vec<u8> {
        let mut b = Vec::new();
        for v in [IMAGES_MAGIC, count, rows, cols] {
            b.extend(v.to_be_bytes());
        }
        b.extend((0..pixels).map(|i| i as u8));
        b
    }

    fn labels(values: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend(LABELS_MAGIC.to_be_bytes());
        b.extend((values.len() as u32).to_be_bytes());
        b.extend(values);
        b
    }

    fn message(e: Error) -> String {
        match e {
            Error::DataCorrupt { path, message } => {
                assert_eq!(path, Path::new(P));
                message
            }
            other => panic!("not DataCorrupt: {other}"),
        }
    }

    #[test]
    fn reads_a_well_formed_images_file() {
        let b = images(2, 2, 3, 12);
        let img = parse_images(Path::new(P), &b).unwrap();
        assert_eq!((img.count, img.rows, img.cols), (2, 2, 3));
        assert_eq!(img.pixels, &(0..12).collect::<Vec<u8>>()[..]);
    }

    #[test]
    fn reads_an_empty_images_file() {
        let b = images(0, 28, 28, 0);
        let img = parse_images(Path::new(P), &b).unwrap();
        assert_eq!(img.count, 0);
        assert!(img.pixels.is_empty());
    }

    #[test]
    fn refuses_truncated_pixels_and_trailing_bytes() {
        let e = message(parse_images(Path::new(P), &images(2, 2, 3, 11)).unwrap_err());
        assert_eq!(
            e,
            "truncated: 2 images of 2×3 need 12 bytes of pixels, the file has 11"
        );
        let e = message(parse_images(Path::new(P), &images(2, 2, 3, 13)).unwrap_err());
        assert!(e.starts_with("trailing bytes"), "{e}");
    }

    #[test]
    fn refuses_a_truncated_header() {
        let e = message(parse_images(Path::new(P), &[0, 0, 8, 3, 0, 0]).unwrap_err());
        assert_eq!(
            e,
            "truncated: an IDX images header is 16 bytes, the file has 6"
        );
        let e = message(parse_labels(Path::new(P), &[]).unwrap_err());
        assert_eq!(
            e,
            "truncated: an IDX labels header is 8 bytes, the file has 0"
        );
    }

    #[test]
    fn refuses_a_wrong_magic_number() {
        let e =
            message(parse_images(Path::new(P), &labels(&[1, 2, 3, 4, 5, 6, 7, 8])).unwrap_err());
        assert!(
            e.starts_with("magic number 0x00000801, expected 0x00000803"),
            "{e}"
        );
        let e = message(parse_labels(Path::new(P), &images(1, 1, 1, 1)).unwrap_err());
        assert!(
            e.starts_with("magic number 0x00000803, expected 0x00000801"),
            "{e}"
        );
    }

    #[test]
    fn refuses_an_overflowing_header() {
        let b = images(u32::MAX, u32::MAX, u32::MAX, 0);
        // The product overflows usize: an error, not a panic.
        let e = message(parse_images(Path::new(P), &b).unwrap_err());
        assert!(e.starts_with("absurd header"), "{e}");
    }

    #[test]
    fn reads_labels_and_refuses_bad_ones() {
        let mut b = labels(&[0, 9, 4]);
        assert_eq!(parse_labels(Path::new(P), &b).unwrap(), &[0, 9, 4]);
        b[10] = 12;
        let e = message(parse_labels(Path::new(P), &b).unwrap_err());
        assert_eq!(e, "label 12 at index 2 is not a class 0..=9");
        let e = message(parse_labels(Path::new(P), &b[..10]).unwrap_err());
        assert_eq!(e, "truncated: 3 labels announced, the file has 2");
    }

    #[test]
    fn a_count_mismatch_between_images_and_labels_is_an_error() {
        let b = images(2, 2, 2, 8);
        let img = parse_images(Path::new(P), &b).unwrap();
        check_pair(Path::new(P), &img, &[1, 2], 4).unwrap();
        let e = message(check_pair(Path::new(P), &img, &[1, 2, 3], 4).unwrap_err());
        assert_eq!(e, "count mismatch: 3 labels for 2 images");
        let e = message(check_pair(Path::new(P), &img, &[1, 2], 784).unwrap_err());
        assert_eq!(e, "its images are 2×2, expected 784 pixels each");
    }
}
