//! Where the examples find Fashion-MNIST: the folder given with `--data`,
//! else the installed data set, else the subset bundled in this repository.

use std::path::{Path, PathBuf};

use netinit::data::{DataError, FashionMnist};

/// The data set, and a line saying where it came from.
pub fn fashion_mnist(dir: Option<&Path>) -> Result<(FashionMnist, String), DataError> {
    if let Some(dir) = dir {
        let data = FashionMnist::load(dir)?;
        return Ok((data, format!("data: Fashion-MNIST from {}", dir.display())));
    }
    if let Some(data) = FashionMnist::locate()? {
        let line = format!("data: Fashion-MNIST from {}", data.dir.display());
        return Ok((data, line));
    }
    let bundled = bundled_dir();
    let data = FashionMnist::load(&bundled)?;
    let line = format!(
        "data: the bundled subset in {} (the full set is not installed: `apt-get install \
         dataset-fashion-mnist`, or --data DIR)",
        bundled.display()
    );
    Ok((data, line))
}

/// The 5,000 + 1,000 image subset in this repository.
pub fn bundled_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/fashion-mnist-subset")
}
