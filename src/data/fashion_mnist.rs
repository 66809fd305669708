//! Fashion-MNIST: 70,000 28×28 greyscale images of clothes in 10 classes.

use std::path::{Path, PathBuf};
use std::{env, fs, io};

use ndarray::Array2;

use super::error::DataError;
use super::idx::{read_images, read_labels};
use crate::files;

/// The ten classes, by label.
pub const CLASS_NAMES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// Images and their labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// `(n, 784)` pixels in `[0, 1]`.
    pub images: Array2<f32>,
    /// `n` labels in `0..10`.
    pub labels: Vec<usize>,
}

impl Dataset {
    /// The number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// The training and test sets of Fashion-MNIST.
#[derive(Clone, Debug)]
pub struct FashionMnist {
    /// 60,000 images (5,000 in the bundled subset).
    pub train: Dataset,
    /// 10,000 images (1,000 in the bundled subset).
    pub test: Dataset,
    /// The folder they were read from.
    pub dir: PathBuf,
}

impl FashionMnist {
    /// Where Debian's `dataset-fashion-mnist` package installs the data set.
    pub const SYSTEM_DIR: &'static str = "/usr/share/datasets/fashion-mnist";

    /// The environment variable that names another folder.
    pub const ENV_VAR: &'static str = "NETINIT_FASHION_MNIST";

    /// Find the installed data set: the folder named in
    /// `NETINIT_FASHION_MNIST`, else Debian's package. `Ok(None)` when
    /// neither is there; an error when one is there but cannot be read.
    pub fn locate() -> Result<Option<FashionMnist>, DataError> {
        if let Some(dir) = env::var_os(FashionMnist::ENV_VAR) {
            return FashionMnist::load(Path::new(&dir)).map(Some);
        }
        let system = Path::new(FashionMnist::SYSTEM_DIR);
        if system.is_dir() {
            return FashionMnist::load(system).map(Some);
        }
        Ok(None)
    }

    /// Read the four files from `dir` (`train-images-idx3-ubyte[.gz]`,
    /// `train-labels-idx1-ubyte[.gz]`, `t10k-…`), gzip or plain.
    pub fn load(dir: &Path) -> Result<FashionMnist, DataError> {
        match fs::metadata(dir) {
            Ok(metadata) if metadata.is_dir() => {}
            Ok(metadata) => {
                return Err(DataError::Io {
                    path: dir.to_owned(),
                    source: io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!(
                            "not a folder: it is {}; name the folder that holds the four IDX files",
                            files::kind_of(metadata.file_type())
                        ),
                    ),
                })
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Err(DataError::Missing {
                    path: dir.to_owned(),
                    hint: format!(
                        "install Debian's `dataset-fashion-mnist` package (it fills {}), or name a folder \
                         with the four IDX files",
                        FashionMnist::SYSTEM_DIR
                    ),
                })
            }
            Err(source) => {
                return Err(DataError::Io {
                    path: dir.to_owned(),
                    source,
                })
            }
        }
        let train = read_set(dir, "train")?;
        let test = read_set(dir, "t10k")?;
        Ok(FashionMnist {
            train,
            test,
            dir: dir.to_owned(),
        })
    }
}

fn read_set(dir: &Path, prefix: &str) -> Result<Dataset, DataError> {
    let images_path = find(dir, &format!("{prefix}-images-idx3-ubyte"))?;
    let labels_path = find(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
    let images = read_images(&images_path, (28, 28))?;
    let labels = read_labels(&labels_path, CLASS_NAMES.len())?;
    if images.nrows() != labels.len() {
        return Err(DataError::CountMismatch {
            images: images_path,
            image_count: images.nrows(),
            labels: labels_path,
            label_count: labels.len(),
        });
    }
    Ok(Dataset { images, labels })
}

/// `name.gz` if it exists, else `name`; one that exists but is no regular
/// file (a folder, a FIFO, a device) is an error saying what it is.
fn find(dir: &Path, name: &str) -> Result<PathBuf, DataError> {
    let gzip = dir.join(format!("{name}.gz"));
    let plain = dir.join(name);
    for path in [gzip.clone(), plain] {
        match fs::metadata(&path) {
            Ok(metadata) if metadata.is_file() => return Ok(path),
            Ok(metadata) => {
                return Err(DataError::Io {
                    path,
                    source: files::not_regular(metadata.file_type()),
                })
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(DataError::Io { path, source }),
        }
    }
    Err(DataError::Missing {
        path: gzip,
        hint: format!("{} has no `{name}` or `{name}.gz`", dir.display()),
    })
}
