//! The IDX format of MNIST and Fashion-MNIST: a big-endian header (magic
//! number `0x0000080N` for unsigned bytes in N dimensions, then N sizes),
//! then the bytes. Files may be gzip-compressed; the reader tells by the
//! gzip magic bytes, not by the name.

use std::fs;
use std::io::Read;
use std::path::Path;

use flate2::read::GzDecoder;
use ndarray::Array2;

use super::error::DataError;

const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;

/// The bytes of a file, decompressed if it is gzip.
fn read_bytes(path: &Path) -> Result<Vec<u8>, DataError> {
    let raw = fs::read(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => DataError::Missing {
            path: path.to_owned(),
            hint: "check the path".into(),
        },
        _ => DataError::Io {
            path: path.to_owned(),
            source,
        },
    })?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut bytes = Vec::new();
        GzDecoder::new(raw.as_slice())
            .read_to_end(&mut bytes)
            .map_err(|error| DataError::Corrupt {
                path: path.to_owned(),
                reason: error.to_string(),
            })?;
        Ok(bytes)
    } else {
        Ok(raw)
    }
}

fn header(path: &Path, bytes: &[u8], magic: u32, dimensions: usize) -> Result<Vec<u32>, DataError> {
    let truncated = |expected: usize| DataError::Truncated {
        path: path.to_owned(),
        expected: expected as u64,
        found: bytes.len() as u64,
    };
    if bytes.len() < 4 {
        return Err(truncated(4 + 4 * dimensions));
    }
    let word = |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let found = word(0);
    if found != magic {
        return Err(DataError::BadMagic {
            path: path.to_owned(),
            expected: magic,
            found,
        });
    }
    let header_len = 4 + 4 * dimensions;
    if bytes.len() < header_len {
        return Err(truncated(header_len));
    }
    let sizes: Vec<u32> = (0..dimensions).map(|d| word(4 + 4 * d)).collect();
    // A corrupt header may claim more than u64 holds: saturate, and the
    // length check below reports it as truncated.
    let body = sizes
        .iter()
        .fold(1_u64, |product, &size| product.saturating_mul(u64::from(size)));
    let expected = body.saturating_add(header_len as u64);
    let found = bytes.len() as u64;
    if found < expected {
        return Err(DataError::Truncated {
            path: path.to_owned(),
            expected,
            found,
        });
    }
    if found > expected {
        return Err(DataError::TrailingBytes {
            path: path.to_owned(),
            expected,
            found,
        });
    }
    Ok(sizes)
}

/// An IDX image file as an `(n, rows·cols)` matrix of pixels scaled to
/// `[0, 1]`. `size` is the expected `(rows, cols)` of each image.
pub fn read_images(path: &Path, size: (u32, u32)) -> Result<Array2<f32>, DataError> {
    let bytes = read_bytes(path)?;
    let sizes = header(path, &bytes, IMAGES_MAGIC, 3)?;
    let found = (sizes[1], sizes[2]);
    if found != size {
        return Err(DataError::Dimensions {
            path: path.to_owned(),
            expected: size,
            found,
        });
    }
    let count = sizes[0] as usize;
    let width = (size.0 * size.1) as usize;
    let pixels: Vec<f32> = bytes[16..].iter().map(|&p| f32::from(p) / 255.0).collect();
    Ok(Array2::from_shape_vec((count, width), pixels)
        .expect("the header check guarantees count × width bytes"))
}

/// An IDX label file, each label checked to be below `classes`.
pub fn read_labels(path: &Path, classes: usize) -> Result<Vec<usize>, DataError> {
    let bytes = read_bytes(path)?;
    header(path, &bytes, LABELS_MAGIC, 1)?;
    bytes[8..]
        .iter()
        .enumerate()
        .map(|(index, &label)| {
            if usize::from(label) < classes {
                Ok(usize::from(label))
            } else {
                Err(DataError::LabelOutOfRange {
                    path: path.to_owned(),
                    index,
                    label,
                    classes,
                })
            }
        })
        .collect()
}
