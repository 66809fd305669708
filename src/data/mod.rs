//! Real data: the IDX format and Fashion-MNIST.

mod error;
mod fashion_mnist;
mod idx;

pub use error::DataError;
pub use fashion_mnist::{Dataset, FashionMnist, CLASS_NAMES};
pub use idx::{read_images, read_labels};
