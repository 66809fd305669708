//! Writing a safetensors file as a stream: its JSON header first (built
//! here, so it can be written before any tensor exists), then the tensors'
//! bytes as they come, through [`atomic::write_with`]. Memory holds the
//! blocks in flight, never the file.

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::mpsc;

use serde_json::{json, Map, Value};

use crate::runtime::checkpoint::atomic::{self, Staged};
use crate::runtime::checkpoint::CheckpointError;

/// A tensor's name and shape (its dtype is F32).
pub(crate) type Planned = (String, Vec<usize>);

/// The bytes a tensor of this shape takes.
pub(crate) fn tensor_bytes(shape: &[usize]) -> u64 {
    shape.iter().product::<usize>() as u64 * 4
}

/// `values` as f32 little-endian bytes, four at a time into a buffer of
/// the right size (a byte-by-byte collect costs more than sampling them);
/// `None` when the system refuses the buffer (a whole orthogonal weight is
/// one block).
pub(crate) fn le_bytes<'a>(values: impl ExactSizeIterator<Item = &'a f32>) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(values.len().checked_mul(4)?).ok()?;
    for value in values {
        bytes.extend_from_slice(&value.to_le_bytes());
    }
    Some(bytes)
}

/// The JSON header, padded with spaces to a multiple of 8 bytes as
/// safetensors pads it, so the data that follows is aligned.
pub(crate) fn header(metadata: &HashMap<String, String>, tensors: &[Planned]) -> serde_json::Result<Vec<u8>> {
    let mut header = Map::new();
    let metadata: Map<String, Value> = metadata
        .iter()
        .map(|(key, value)| (key.clone(), Value::String(value.clone())))
        .collect();
    header.insert("__metadata__".to_owned(), Value::Object(metadata));
    let mut offset = 0;
    for (name, shape) in tensors {
        let end = offset + tensor_bytes(shape);
        header.insert(
            name.clone(),
            json!({"dtype": "F32", "shape": shape, "data_offsets": [offset, end]}),
        );
        offset = end;
    }
    let mut bytes = serde_json::to_vec(&header)?;
    bytes.resize(bytes.len().div_ceil(8) * 8, b' ');
    Ok(bytes)
}

/// Write a safetensors file of `tensors` with `metadata` to `path`,
/// atomically. `produce` runs on a thread of its own and hands the tensors'
/// bytes, in order, to the function it is given, which says whether to go
/// on; they are written while the next are produced (a channel of two
/// blocks). Bytes that do not add up to the header's sizes are an error,
/// and the file is then not put in place. `progress` is told each block's size.
pub(crate) fn write(
    path: &Path,
    metadata: &HashMap<String, String>,
    tensors: &[Planned],
    produce: impl FnOnce(&mut dyn FnMut(Vec<u8>) -> bool) + Send,
    progress: &mut dyn FnMut(u64),
) -> Result<(), CheckpointError> {
    stage(path, metadata, tensors, produce, progress)?.commit()
}

/// [`write`], the file staged beside `path` and not yet in its place (see
/// [`Staged`]).
pub(crate) fn stage(
    path: &Path,
    metadata: &HashMap<String, String>,
    tensors: &[Planned],
    produce: impl FnOnce(&mut dyn FnMut(Vec<u8>) -> bool) + Send,
    progress: &mut dyn FnMut(u64),
) -> Result<Staged, CheckpointError> {
    let header = header(metadata, tensors).map_err(|error| CheckpointError::format(path, &error))?;
    let expected: u64 = tensors.iter().map(|(_, shape)| tensor_bytes(shape)).sum();
    atomic::stage_with(path, |file| {
        let mut file = BufWriter::with_capacity(1 << 20, file);
        file.write_all(&(header.len() as u64).to_le_bytes())?;
        file.write_all(&header)?;
        let mut written = 0_u64;
        std::thread::scope(|scope| {
            let (sender, receiver) = mpsc::sync_channel::<Vec<u8>>(2);
            // A closed channel means the writer failed: the producer stops.
            scope.spawn(move || produce(&mut |block| sender.send(block).is_ok()));
            for block in receiver {
                file.write_all(&block)?;
                written += block.len() as u64;
                progress(block.len() as u64);
            }
            Ok::<(), std::io::Error>(())
        })?;
        if written != expected {
            return Err(std::io::Error::other(format!(
                "{written} bytes of tensors were produced for a header of {expected}"
            )));
        }
        file.flush()
    })
}
