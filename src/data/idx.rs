//! The IDX format of MNIST and Fashion-MNIST: a big-endian header (magic
//! number `0x0000080N` for unsigned bytes in N dimensions, then N sizes),
//! then the bytes. Files may be gzip-compressed (in one member or several);
//! the reader tells by the gzip magic bytes, not by the name, and streams:
//! it reads the header, then no more than the header declares.

use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use ndarray::Array2;

use super::error::DataError;
use crate::files::open_regular;

const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;

/// How many trailing bytes are counted before a file is called too long:
/// enough to say by how much, without reading a gzip bomb to its end.
const TRAILING_COUNTED: u64 = 1 << 30;

/// The file's bytes as a stream, decompressed if it is gzip (every member
/// of a multi-member file), and for a plain file its length. Only regular
/// files: a device such as `/dev/zero` would never end.
fn open(path: &Path) -> Result<(Box<dyn Read>, Option<u64>), DataError> {
    let io = |source: io::Error| match source.kind() {
        io::ErrorKind::NotFound => DataError::Missing {
            path: path.to_owned(),
            hint: "check the path".into(),
        },
        _ => DataError::Io {
            path: path.to_owned(),
            source,
        },
    };
    let (file, length) = open_regular(path).map_err(io)?;
    let mut reader = BufReader::new(file);
    let gzip = reader.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
    Ok(if gzip {
        (Box::new(MultiGzDecoder::new(reader)), None)
    } else {
        (Box::new(reader), Some(length))
    })
}

/// Past this many bytes of body, a gzip file is decompressed once without
/// keeping anything, to find whether it holds what its header claims,
/// before the body is stored: a small file can claim billions of images
/// and decompress to a gigabyte before it ends short. Fashion-MNIST's
/// largest body is 47 MB, read once.
const COUNTED_FIRST: u64 = 256 << 20;

/// The sizes in an IDX header and the body they declare, read as a stream:
/// the header first, then no more bytes than it declares, then a check
/// that nothing follows.
fn read_idx(
    path: &Path,
    magic: u32,
    dimensions: usize,
    check_sizes: impl FnOnce(&[u32]) -> Result<(), DataError>,
) -> Result<(Vec<u32>, Vec<u8>), DataError> {
    let (mut reader, plain_length) = open(path)?;
    let corrupt = |error: io::Error| DataError::Corrupt {
        path: path.to_owned(),
        reason: error.to_string(),
    };
    let header_len = 4 + 4 * dimensions as u64;
    let mut header = Vec::new();
    (&mut reader)
        .take(header_len)
        .read_to_end(&mut header)
        .map_err(corrupt)?;
    let truncated = |expected: u64, found: u64| DataError::Truncated {
        path: path.to_owned(),
        expected,
        found,
    };
    let word = |at: usize| u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]]);
    if header.len() < 4 {
        return Err(truncated(header_len, header.len() as u64));
    }
    if word(0) != magic {
        return Err(DataError::BadMagic {
            path: path.to_owned(),
            expected: magic,
            found: word(0),
        });
    }
    if (header.len() as u64) < header_len {
        return Err(truncated(header_len, header.len() as u64));
    }
    let sizes: Vec<u32> = (0..dimensions).map(|d| word(4 + 4 * d)).collect();
    // The caller's expectations, before a byte of the body is read.
    check_sizes(&sizes)?;
    // A corrupt header may claim more than u64 holds: saturate; the body
    // read below is bounded by what the file really has.
    let body_len = sizes
        .iter()
        .fold(1_u64, |product, &size| product.saturating_mul(u64::from(size)));
    let expected = body_len.saturating_add(header_len);
    // Nothing is stored of a body the file cannot hold: a plain file's
    // length says so at once, a large gzip body is counted first.
    if let Some(length) = plain_length.filter(|&length| length < expected) {
        return Err(truncated(expected, length));
    }
    if plain_length.is_none() && body_len > COUNTED_FIRST {
        let (mut counting, _) = open(path)?;
        let held = io::copy(&mut (&mut counting).take(expected), &mut io::sink()).map_err(corrupt)?;
        if held < expected {
            return Err(truncated(expected, held));
        }
    }
    // Read in chunks, each allocation fallible: a small gzip file can
    // claim and hold far more than memory.
    let mut body = Vec::new();
    let mut chunk = vec![0_u8; 1 << 16];
    let mut body_reader = (&mut reader).take(body_len);
    loop {
        let read = match body_reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(corrupt(error)),
        };
        body.try_reserve(read).map_err(|_| DataError::TooLarge {
            path: path.to_owned(),
            bytes: body_len,
        })?;
        body.extend_from_slice(&chunk[..read]);
    }
    if (body.len() as u64) < body_len {
        return Err(truncated(expected, header_len + body.len() as u64));
    }
    // One byte past the cap tells a file with exactly that many from one
    // with more.
    let trailing = io::copy(&mut reader.take(TRAILING_COUNTED + 1), &mut io::sink()).map_err(corrupt)?;
    // At the cap the count is a lower bound; the message says so.
    if trailing > 0 {
        return Err(DataError::TrailingBytes {
            path: path.to_owned(),
            expected,
            found: expected + trailing,
            counting_stopped: trailing > TRAILING_COUNTED,
        });
    }
    Ok((sizes, body))
}

/// An IDX image file as an `(n, rows·cols)` matrix of pixels scaled to
/// `[0, 1]`. `size` is the expected `(rows, cols)` of each image.
pub fn read_images(path: &Path, size: (u32, u32)) -> Result<Array2<f32>, DataError> {
    let (sizes, bytes) = read_idx(path, IMAGES_MAGIC, 3, |sizes| {
        let found = (sizes[1], sizes[2]);
        match found == size {
            true => Ok(()),
            false => Err(DataError::Dimensions {
                path: path.to_owned(),
                expected: size,
                found,
            }),
        }
    })?;
    // The body holds count × rows × cols bytes, so these fit in memory.
    let count = sizes[0] as usize;
    let width = bytes.len().checked_div(count).unwrap_or(0);
    let pixels: Vec<f32> = bytes.iter().map(|&p| f32::from(p) / 255.0).collect();
    Array2::from_shape_vec((count, width), pixels).map_err(|error| DataError::Corrupt {
        path: path.to_owned(),
        reason: error.to_string(),
    })
}

/// An IDX label file, each label checked to be below `classes`.
pub fn read_labels(path: &Path, classes: usize) -> Result<Vec<usize>, DataError> {
    let (_, bytes) = read_idx(path, LABELS_MAGIC, 1, |_| Ok(()))?;
    bytes
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
