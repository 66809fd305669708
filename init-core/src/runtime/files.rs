//! Opening a file to read, as every reader of netinit opens one: a
//! checkpoint, a shard, an index, an IDX file, a `.net` file. Only a regular
//! file is read (a device such as `/dev/zero` would never end, and a FIFO
//! would block), and the open itself does not block on a FIFO: the check
//! comes after the open, on the file that was opened, so nothing can swap
//! the path between the two.

use std::fs::{File, FileType, OpenOptions};
use std::io;
use std::path::Path;

/// `path` opened for reading, and its length, when it is a regular file
/// (a symbolic link is followed); otherwise an error of kind
/// [`io::ErrorKind::InvalidInput`] that says what it is instead.
///
/// ```
/// let error = netinit::files::open_regular(std::path::Path::new("/")).unwrap_err();
/// assert_eq!(error.to_string(), "not a regular file: it is a directory");
/// ```
pub fn open_regular(path: &Path) -> io::Result<(File, u64)> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // A FIFO opens at once instead of waiting for a writer; reads from
        // a regular file do not block either way.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(not_regular(metadata.file_type()));
    }
    Ok((file, metadata.len()))
}

/// The error for a file of type `file_type` where a regular file was
/// expected: `not a regular file: it is a FIFO`.
pub fn not_regular(file_type: FileType) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("not a regular file: it is {}", kind_of(file_type)),
    )
}

/// What a file is, in words: `a directory`, `a FIFO`, `a character
/// device`, …
pub fn kind_of(file_type: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_file() {
        "a regular file"
    } else {
        "not a file netinit can read"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_folders_are_named_and_not_read() {
        let error = open_regular(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(error.to_string(), "not a regular file: it is a character device");
        let folder = std::env::temp_dir();
        assert_eq!(
            open_regular(&folder).unwrap_err().to_string(),
            "not a regular file: it is a directory"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let path = std::env::temp_dir().join(format!("netinit-fifo-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let made = std::process::Command::new("mkfifo").arg(&path).status();
        if !made.is_ok_and(|status| status.success()) {
            // No mkfifo on this system: nothing to test.
            return;
        }
        let error = open_regular(&path).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(error.to_string(), "not a regular file: it is a FIFO");
    }
}
