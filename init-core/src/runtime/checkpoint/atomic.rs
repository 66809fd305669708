//! Atomic, durable writes: the bytes go to a uniquely named temporary file
//! beside the target, which is flushed to disk and then renamed over the
//! target, and the directory is flushed so the rename survives a crash. On
//! any error before the rename the temporary file is removed and the target
//! is as it was; a failure to flush the directory after it is reported, with
//! the new file in place. A crash of the process itself can leave the
//! temporary (`.NAME.PID.N.tmp`), never a half-written target.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::runtime::checkpoint::CheckpointError;

/// Write `bytes` to `path` atomically.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    write_with(path, |file| file.write_all(bytes))
}

/// Write to `path` atomically what `fill` writes to the temporary file.
/// A failing `fill` (or disk) leaves `path` untouched and no temporary behind.
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), CheckpointError> {
    let error = |action: &'static str| {
        move |source: io::Error| CheckpointError::Io {
            path: path.to_owned(),
            action,
            source,
        }
    };
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let temporary = temporary_beside(path, &directory);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .map_err(error("create a temporary file for"))?;
    // Removes the unfinished temporary on every way out, a panic included,
    // until the rename has made it the target.
    let mut guard = Temporary(Some(temporary));
    let temporary = guard.0.as_deref().unwrap_or(path);
    fill(&mut file)
        .map_err(error("write"))
        .and_then(|()| file.sync_all().map_err(error("flush to disk")))
        .and_then(|()| fs::rename(temporary, path).map_err(error("rename the temporary file to")))?;
    guard.0 = None;
    sync_directory(&directory).map_err(error("flush the directory (the new file is in place) of"))
}

/// A temporary file removed when dropped, unless taken.
struct Temporary(Option<PathBuf>);

impl Drop for Temporary {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = fs::remove_file(path);
        }
    }
}

/// `.NAME.PID.N.tmp` in the target's directory: unique within the process
/// (a counter) and across processes (the pid), and on the same file system,
/// so the rename is atomic.
fn temporary_beside(path: &Path, directory: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map_or_else(|| "checkpoint".into(), |name| name.to_string_lossy());
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    directory.join(format!(".{name}.{}.{count}.tmp", std::process::id()))
}

/// Flush the directory entry, so the rename itself is durable.
#[cfg(unix)]
fn sync_directory(directory: &Path) -> io::Result<()> {
    File::open(directory)?.sync_all()
}

/// Other systems do not open directories; the rename is as durable as they make it.
#[cfg(not(unix))]
fn sync_directory(_directory: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh_directory(name: &str) -> PathBuf {
        let directory = std::env::temp_dir().join(format!("netinit-atomic-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&directory);
        fs::create_dir_all(&directory).unwrap();
        directory
    }

    #[test]
    fn a_failing_write_leaves_the_old_file_and_no_temporary() {
        let directory = fresh_directory("failing");
        let target = directory.join("model.safetensors");
        write(&target, b"the old checkpoint").unwrap();
        let failure = write_with(&target, |file| {
            file.write_all(b"half of the new one")?;
            Err(io::Error::other("injected: the disk is full"))
        });
        assert!(matches!(
            failure,
            Err(CheckpointError::Io { action: "write", .. })
        ));
        assert_eq!(fs::read(&target).unwrap(), b"the old checkpoint");
        let entries: Vec<_> = fs::read_dir(&directory)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(entries, [std::ffi::OsString::from("model.safetensors")]);
    }

    #[test]
    fn a_successful_write_replaces_the_file() {
        let directory = fresh_directory("replacing");
        let target = directory.join("model.safetensors");
        write(&target, b"first").unwrap();
        write(&target, b"second").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"second");
        assert_eq!(fs::read_dir(&directory).unwrap().count(), 1);
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_the_file() {
        let target = Path::new("/nonexistent-netinit-directory/model.safetensors");
        let error = write(target, b"x").unwrap_err();
        assert!(error
            .to_string()
            .starts_with("/nonexistent-netinit-directory/model.safetensors: cannot"));
    }
}
