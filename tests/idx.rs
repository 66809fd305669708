//! The IDX reader against real files, truncated ones and corrupt ones:
//! every failure is a typed error that names the file.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use netinit::data::{read_images, read_labels, DataError, FashionMnist};

/// The system's allocator, counting the largest block each thread asks
/// for: what a read stores, measured, not guessed.
struct Counting;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
}

// SAFETY: every call goes to `System` as it came; the counting touches a
// thread-local `Cell` only.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) }
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        note(size);
        unsafe { System.realloc(pointer, layout, size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A fresh folder for one test.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netinit-idx-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn images(count: u32, rows: u32, cols: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    for word in [0x0000_0803, count, rows, cols] {
        bytes.extend_from_slice(&u32::to_be_bytes(word));
    }
    bytes.extend((0..count * rows * cols).map(|i| (i % 256) as u8));
    bytes
}

fn labels(values: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&0x0000_0801_u32.to_be_bytes());
    bytes.extend_from_slice(&(values.len() as u32).to_be_bytes());
    bytes.extend_from_slice(values);
    bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn plain_and_gzip_files_read_the_same() {
    let dir = folder("plain-gzip");
    let plain = write(&dir, "images", &images(3, 28, 28));
    let packed = write(&dir, "images.gz", &gzip(&images(3, 28, 28)));
    let a = read_images(&plain, (28, 28)).unwrap();
    assert_eq!(a.dim(), (3, 784));
    assert_eq!(a, read_images(&packed, (28, 28)).unwrap());
    // Pixels are scaled to [0, 1]: byte 255 becomes 1.0.
    assert_eq!(a[(0, 255)], 1.0);
    assert_eq!(a[(0, 0)], 0.0);
    let path = write(&dir, "labels", &labels(&[0, 9, 3]));
    assert_eq!(read_labels(&path, 10).unwrap(), [0, 9, 3]);
}

#[test]
fn truncated_files_say_how_much_is_missing() {
    let dir = folder("truncated");
    let mut bytes = images(3, 28, 28);
    bytes.truncate(16 + 784 * 2 + 100);
    let path = write(&dir, "images", &bytes);
    let error = read_images(&path, (28, 28)).unwrap_err();
    assert!(
        matches!(
            error,
            DataError::Truncated {
                expected: 2368,
                found: 1684,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains(&path.display().to_string()));
    let huge = write(
        &dir,
        "huge",
        &images(0, 0, 0)
            .iter()
            .take(4)
            .copied()
            .chain([255; 12])
            .collect::<Vec<u8>>(),
    );
    // Sizes of 2^32 - 1 each: the dimensions are refused from the header.
    assert!(matches!(
        read_images(&huge, (28, 28)),
        Err(DataError::Dimensions {
            found: (u32::MAX, u32::MAX),
            ..
        })
    ));
    let header_only = write(&dir, "short", &[0, 0, 8]);
    assert!(matches!(
        read_labels(&header_only, 10),
        Err(DataError::Truncated {
            expected: 8,
            found: 3,
            ..
        })
    ));
}

#[test]
fn corrupt_files_are_named_and_explained() {
    let dir = folder("corrupt");
    let swapped = write(&dir, "swapped", &labels(&[1, 2]));
    let error = read_images(&swapped, (28, 28)).unwrap_err();
    assert!(
        matches!(
            error,
            DataError::BadMagic {
                expected: 0x803,
                found: 0x801,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("magic number 0x00000801"), "{error}");

    let out_of_range = write(&dir, "labels", &labels(&[1, 12, 3]));
    let error = read_labels(&out_of_range, 10).unwrap_err();
    assert!(matches!(
        error,
        DataError::LabelOutOfRange {
            index: 1,
            label: 12,
            classes: 10,
            ..
        }
    ));

    let mut padded = labels(&[1, 2]);
    padded.push(7);
    let padded = write(&dir, "padded", &padded);
    assert!(matches!(
        read_labels(&padded, 10),
        Err(DataError::TrailingBytes {
            expected: 10,
            found: 11,
            counting_stopped: false,
            ..
        })
    ));

    let small = write(&dir, "small", &images(2, 14, 14));
    assert!(matches!(
        read_images(&small, (28, 28)),
        Err(DataError::Dimensions { found: (14, 14), .. })
    ));

    let mut broken = gzip(&images(2, 28, 28));
    let middle = broken.len() / 2;
    broken.truncate(middle);
    let broken = write(&dir, "broken.gz", &broken);
    let error = read_images(&broken, (28, 28)).unwrap_err();
    assert!(matches!(error, DataError::Corrupt { .. }), "{error:?}");
    assert!(error.to_string().contains("broken.gz"));
}

#[test]
fn missing_data_says_how_to_install_it() {
    let dir = folder("missing");
    let error = FashionMnist::load(&dir.join("nowhere")).unwrap_err();
    assert!(error.to_string().contains("dataset-fashion-mnist"), "{error}");
    let error = FashionMnist::load(&dir).unwrap_err();
    assert!(matches!(error, DataError::Missing { .. }));
    assert!(error.to_string().contains("train-images-idx3-ubyte"), "{error}");
}

#[test]
fn data_that_is_not_a_folder_or_a_file_says_what_it_is() {
    // `--data` names a folder: a file, a device or a FIFO there is not
    // "not found".
    let error = FashionMnist::load(Path::new("/dev/zero")).unwrap_err();
    assert!(matches!(error, DataError::Io { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("not a folder: it is a character device"),
        "{error}"
    );
    // One of the four files a folder: not a regular file, said so.
    let dir = folder("kinds");
    fs::create_dir_all(dir.join("train-images-idx3-ubyte.gz")).unwrap();
    let error = FashionMnist::load(&dir).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("not a regular file: it is a directory"),
        "{error}"
    );
}

#[test]
fn image_and_label_counts_must_agree() {
    let dir = folder("counts");
    write(&dir, "train-images-idx3-ubyte", &images(3, 28, 28));
    write(&dir, "train-labels-idx1-ubyte.gz", &gzip(&labels(&[1, 2])));
    write(&dir, "t10k-images-idx3-ubyte", &images(1, 28, 28));
    write(&dir, "t10k-labels-idx1-ubyte", &labels(&[4]));
    let error = FashionMnist::load(&dir).unwrap_err();
    assert!(
        matches!(
            error,
            DataError::CountMismatch {
                image_count: 3,
                label_count: 2,
                ..
            }
        ),
        "{error:?}"
    );
    write(&dir, "train-labels-idx1-ubyte.gz", &gzip(&labels(&[1, 2, 0])));
    let data = FashionMnist::load(&dir).unwrap();
    assert_eq!((data.train.len(), data.test.len()), (3, 1));
}

#[test]
fn the_full_data_set_reads_when_installed() {
    // .ci/run installs Debian's dataset-fashion-mnist, so CI reads the real
    // files; elsewhere this checks whatever is installed, or says it skipped.
    let dir = Path::new(FashionMnist::SYSTEM_DIR);
    if !dir.is_dir() {
        eprintln!("skipped: {} is not installed", dir.display());
        return;
    }
    let data = FashionMnist::load(dir).unwrap();
    assert_eq!((data.train.len(), data.test.len()), (60_000, 10_000));
    // Fashion-MNIST is balanced: 6,000 training and 1,000 test images per class.
    for class in 0..10 {
        assert_eq!(
            data.train.labels.iter().filter(|&&label| label == class).count(),
            6_000
        );
        assert_eq!(
            data.test.labels.iter().filter(|&&label| label == class).count(),
            1_000
        );
    }
    assert!(data
        .train
        .images
        .iter()
        .all(|&pixel| (0.0..=1.0).contains(&pixel)));
}

#[test]
fn a_second_gzip_member_is_read_not_called_truncation() {
    // Some tools write gzip in several members; the bytes are their concatenation.
    let dir = folder("members");
    let bytes = images(2, 28, 28);
    let (first, second) = bytes.split_at(100);
    let mut two_members = gzip(first);
    two_members.extend(gzip(second));
    write(&dir, "two.gz", &two_members);
    let images = read_images(&dir.join("two.gz"), (28, 28)).unwrap();
    assert_eq!(images.nrows(), 2);
}

#[test]
fn a_device_is_refused_instead_of_read_forever() {
    let error = read_images(Path::new("/dev/zero"), (28, 28)).unwrap_err();
    assert!(error.to_string().contains("not a regular file"), "{error}");
}

#[test]
fn a_header_claiming_more_than_the_file_holds_reads_no_more_than_the_file() {
    // A header claiming 4 billion images of 28 × 28 over 10 bytes of data:
    // reported as truncated, with nothing like the claim allocated.
    let dir = folder("claim");
    let mut bytes = Vec::new();
    for word in [0x0000_0803_u32, u32::MAX, 28, 28] {
        bytes.extend_from_slice(&word.to_be_bytes());
    }
    bytes.extend([7; 10]);
    write(&dir, "claim", &gzip(&bytes));
    match read_images(&dir.join("claim"), (28, 28)) {
        Err(DataError::Truncated { expected, found, .. }) => {
            assert_eq!(found, 26);
            assert_eq!(expected, 16 + u64::from(u32::MAX) * 784);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_gzip_body_shorter_than_its_claim_is_counted_not_stored() {
    // 4.29 billion images claimed, 300 MiB of them present (zeros, as 300
    // gzip members of 1 MiB): truncated, found by counting, with no block
    // of the body's size ever asked for (before, the read stored all 300 MiB
    // and then reported the truncation).
    let dir = folder("short-claim");
    let mut bytes = Vec::new();
    for word in [0x0000_0803_u32, u32::MAX, 28, 28] {
        bytes.extend_from_slice(&word.to_be_bytes());
    }
    let mut claim = gzip(&bytes);
    let mebibyte_of_zeros = gzip(&vec![0_u8; 1 << 20]);
    for _ in 0..300 {
        claim.extend_from_slice(&mebibyte_of_zeros);
    }
    write(&dir, "claim.gz", &claim);
    LARGEST.with(|largest| largest.set(0));
    let error = read_images(&dir.join("claim.gz"), (28, 28)).unwrap_err();
    let largest = LARGEST.with(Cell::get);
    match error {
        DataError::Truncated { expected, found, .. } => {
            assert_eq!(expected, 16 + u64::from(u32::MAX) * 784);
            assert_eq!(found, 16 + (300 << 20));
        }
        other => panic!("{other:?}"),
    }
    assert!(largest < 1 << 20, "a block of {largest} bytes");
    // A plain file's length says it at once.
    let mut plain = bytes.clone();
    plain.extend(std::iter::repeat_n(0_u8, 1 << 20));
    write(&dir, "claim", &plain);
    LARGEST.with(|largest| largest.set(0));
    let error = read_images(&dir.join("claim"), (28, 28)).unwrap_err();
    assert!(
        matches!(error, DataError::Truncated { found, .. } if found == 16 + (1 << 20)),
        "{error:?}"
    );
    assert!(LARGEST.with(Cell::get) < 1 << 20);
}

#[test]
fn image_sizes_whose_product_overflows_u32_do_not_panic() {
    // 65,536 × 65,536 pixels per image overflow a u32 product; with no
    // images the file is valid and empty.
    let dir = folder("sizes");
    write(&dir, "images", &images(0, 65_536, 65_536));
    let empty = read_images(&dir.join("images"), (65_536, 65_536)).unwrap();
    assert_eq!(empty.nrows(), 0);
}

#[test]
fn a_gzip_bomb_is_refused_without_holding_it() {
    // A one-image header, then 1.2 GiB of zeros as 1,229 gzip members of
    // 1 MiB each (about 1 KB apiece): the reader reads the image, then counts
    // the rest without storing it, and stops counting one byte past 1 GiB.
    let dir = folder("bomb");
    let mut bomb = gzip(&images(1, 28, 28));
    let mebibyte_of_zeros = gzip(&vec![0_u8; 1 << 20]);
    for _ in 0..1229 {
        bomb.extend_from_slice(&mebibyte_of_zeros);
    }
    write(&dir, "bomb", &bomb);
    let error = read_images(&dir.join("bomb"), (28, 28)).unwrap_err();
    let DataError::TrailingBytes {
        expected,
        found,
        counting_stopped,
        ..
    } = error
    else {
        panic!("{error:?}")
    };
    assert_eq!((expected, found), (16 + 784, 16 + 784 + (1 << 30) + 1));
    assert!(counting_stopped);
    assert!(
        error.to_string().contains(&format!("at least {found} bytes")),
        "{error}"
    );
    // Wrong dimensions are refused from the header, before the body.
    let mut wide = Vec::new();
    for word in [0x0000_0803_u32, 1, 65_536, 65_536] {
        wide.extend_from_slice(&word.to_be_bytes());
    }
    wide.extend(std::iter::repeat_n(0_u8, 1_000_000));
    write(&dir, "wide", &gzip(&wide));
    assert!(matches!(
        read_images(&dir.join("wide"), (28, 28)),
        Err(DataError::Dimensions {
            found: (65_536, 65_536),
            ..
        })
    ));
}
