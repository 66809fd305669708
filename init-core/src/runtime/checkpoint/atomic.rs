//! Atomic, durable writes: the bytes go to a uniquely named temporary file
//! beside the target, which is flushed to disk and then renamed over the
//! target, and the directory is flushed so the rename survives a crash. On
//! any error before the rename the temporary file is removed and the target
//! is as it was; a failure to flush the directory after it is reported, with
//! the new file in place. A process killed mid-write (`kill -9`, a power
//! cut) can leave its temporary (`.NAME.PID.N.tmp`), never a half-written
//! target: the writer holds a lock on its temporary, which the system
//! drops with the process, so the next write to the same target removes
//! the temporaries no live process holds.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

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
    stage_with(path, fill)?.commit()
}

/// A file written and flushed to disk under a temporary name beside its
/// target, not yet in its place: [`Staged::commit`] renames it over the
/// target; dropped uncommitted, it is removed. A sharded write stages its
/// shards, so that the set it replaces loads until they are all written.
pub(crate) struct Staged {
    /// Open, so that its lock is held until it is committed or removed.
    _file: File,
    temporary: Temporary,
    path: PathBuf,
    directory: PathBuf,
}

/// Stage at `path` what `fill` writes (see [`Staged`]). A failing `fill`
/// (or disk) leaves `path` untouched and no temporary behind.
pub(crate) fn stage_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<Staged, CheckpointError> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    remove_stale(path, &directory);
    let temporary = temporary_beside(path, &directory);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .map_err(io_error(path, "create a temporary file for"))?;
    // Removes the unfinished temporary on every way out, a panic included,
    // until the rename has made it the target.
    let guard = Temporary(Some(temporary));
    // Held until the file is closed, by the process or by its death: a
    // temporary nobody holds is a dead writer's.
    let _ = file.try_lock();
    fill(&mut file)
        .map_err(io_error(path, "write"))
        .and_then(|()| file.sync_all().map_err(io_error(path, "flush to disk")))?;
    Ok(Staged {
        _file: file,
        temporary: guard,
        path: path.to_owned(),
        directory,
    })
}

impl Staged {
    /// Rename the staged file over its target, and flush the directory so
    /// the rename survives a crash.
    pub(crate) fn commit(mut self) -> Result<(), CheckpointError> {
        let path = self.path.as_path();
        if let Some(temporary) = self.temporary.0.as_deref() {
            fs::rename(temporary, path).map_err(io_error(path, "rename the temporary file to"))?;
        }
        self.temporary.0 = None;
        sync_directory(&self.directory).map_err(io_error(
            path,
            "flush the directory (the new file is in place) of",
        ))
    }
}

/// The error for `action` on the file at `path`.
fn io_error<'a>(path: &'a Path, action: &'static str) -> impl FnOnce(io::Error) -> CheckpointError + 'a {
    move |source| CheckpointError::Io {
        path: path.to_owned(),
        action,
        source,
    }
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

/// How old a temporary no process holds must be before it is removed: a
/// writer takes its lock just after creating the file, never this late.
const STALE_AFTER: Duration = Duration::from_secs(2);

/// Remove the temporaries of earlier writes to `path` whose writers died:
/// `.NAME.PID.N.tmp` beside it, of another process, that no process holds
/// a lock on and that has not changed for [`STALE_AFTER`]. Best effort: a
/// temporary that cannot be read or removed is left.
fn remove_stale(path: &Path, directory: &Path) {
    let Some(name) = path.file_name().map(|name| name.to_string_lossy()) else {
        return;
    };
    let Ok(entries) = fs::read_dir(directory) else {
        return;
    };
    let own = std::process::id().to_string();
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(middle) = file_name
            .to_str()
            .and_then(|file_name| file_name.strip_prefix(prefix.as_str()))
            .and_then(|rest| rest.strip_suffix(".tmp"))
        else {
            continue;
        };
        let Some((pid, count)) = middle.split_once('.') else {
            continue;
        };
        let numbers = |text: &str| !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit());
        if pid == own || !numbers(pid) || !numbers(count) {
            continue;
        }
        let stale = entry
            .metadata()
            .and_then(|metadata| metadata.modified())
            .is_ok_and(|modified| modified.elapsed().is_ok_and(|age| age >= STALE_AFTER));
        // Only regular files: opening a FIFO of that name would block.
        let regular = entry.file_type().is_ok_and(|kind| kind.is_file());
        let unheld = regular && File::open(entry.path()).is_ok_and(|file| file.try_lock().is_ok());
        if stale && unheld {
            let _ = fs::remove_file(entry.path());
        }
    }
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
    fn a_dead_writer_s_temporary_is_removed_by_the_next_write() {
        // As `kill -9` leaves them: one no process holds (its writer died),
        // and one a live writer holds (here, this process on another handle).
        let directory = fresh_directory("stale");
        let target = directory.join("model.safetensors");
        let dead = directory.join(".model.safetensors.4000001.0.tmp");
        let live = directory.join(".model.safetensors.4000002.0.tmp");
        let other = directory.join(".other.safetensors.4000003.0.tmp");
        let past = std::time::SystemTime::now() - 2 * STALE_AFTER;
        for path in [&dead, &live, &other] {
            File::create(path).unwrap().set_modified(past).unwrap();
        }
        let held = File::open(&live).unwrap();
        held.try_lock().unwrap();
        write(&target, b"the checkpoint").unwrap();
        assert!(!dead.exists());
        assert!(live.exists(), "a temporary a writer holds is left");
        assert!(other.exists(), "another target's temporary is left");
        drop(held);
        // A temporary that changed just now is left too: its writer may not
        // hold it yet.
        File::create(&dead).unwrap();
        write(&target, b"again").unwrap();
        assert!(dead.exists() && !live.exists());
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
