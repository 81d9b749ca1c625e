//! The IDX format of (Fashion-)MNIST: a big-endian header (magic, counts, sizes) then u8 values.
//! Pure functions over bytes; the caller names the file in errors.

/// Magic number of an images file (u8 values, 3 dimensions).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of a labels file (u8 values, 1 dimension).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

fn be_u32(bytes: &[u8], at: usize) -> Result<u32, String> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| format!("truncated header ({} bytes)", bytes.len()))
}

/// Parses an images file: (count, rows, cols, pixels).
pub fn parse_images(bytes: &[u8]) -> Result<(usize, usize, usize, &[u8]), String> {
    let magic = be_u32(bytes, 0)?;
    if magic != IMAGES_MAGIC {
        return Err(format!(
            "magic number {magic:#010x}, expected {IMAGES_MAGIC:#010x} (IDX images)"
        ));
    }
    let count = be_u32(bytes, 4)? as usize;
    let rows = be_u32(bytes, 8)? as usize;
    let cols = be_u32(bytes, 12)? as usize;
    let body = &bytes[16..];
    let expected = count * rows * cols;
    if body.len() != expected {
        return Err(format!(
            "{count} images of {rows}×{cols} need {expected} bytes of pixels, found {}",
            body.len()
        ));
    }
    Ok((count, rows, cols, body))
}

/// Parses a labels file.
pub fn parse_labels(bytes: &[u8]) -> Result<&[u8], String> {
    let magic = be_u32(bytes, 0)?;
    if magic != LABELS_MAGIC {
        return Err(format!(
            "magic number {magic:#010x}, expected {LABELS_MAGIC:#010x} (IDX labels)"
        ));
    }
    let count = be_u32(bytes, 4)? as usize;
    let body = &bytes[8..];
    if body.len() != count {
        return Err(format!("{count} labels announced, {} found", body.len()));
    }
    if let Some(bad) = body.iter().find(|&&l| l > 9) {
        return Err(format!("label {bad} is not a class 0..=9"));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(count: u32, rows: u32, cols: u32, pixels: usize) -> Vec<u8> {
        let mut b = Vec::new();
        for v in [IMAGES_MAGIC, count, rows, cols] {
            b.extend(v.to_be_bytes());
        }
        b.extend(std::iter::repeat(7u8).take(pixels));
        b
    }

    #[test]
    fn reads_a_well_formed_images_file() {
        let b = images(2, 2, 3, 12);
        let (n, r, c, px) = parse_images(&b).unwrap();
        assert_eq!((n, r, c, px.len()), (2, 2, 3, 12));
    }

    #[test]
    fn refuses_truncated_and_wrong_magic() {
        assert!(parse_images(&images(2, 2, 3, 11))
            .unwrap_err()
            .contains("need 12 bytes"));
        assert!(parse_images(&[0, 0, 8])
            .unwrap_err()
            .contains("truncated header"));
        let mut b = images(1, 1, 1, 1);
        b[3] = 1;
        assert!(parse_images(&b).unwrap_err().contains("magic number"));
    }

    #[test]
    fn reads_labels_and_refuses_bad_ones() {
        let mut b = Vec::new();
        b.extend(LABELS_MAGIC.to_be_bytes());
        b.extend(3u32.to_be_bytes());
        b.extend([0u8, 9, 4]);
        assert_eq!(parse_labels(&b).unwrap(), &[0, 9, 4]);
        b[10] = 12;
        assert!(parse_labels(&b).unwrap_err().contains("label 12"));
        assert!(parse_labels(&b[..10])
            .unwrap_err()
            .contains("3 labels announced"));
    }
}
