//! The pooling layers' rules: `max_pool2d(K [, stride = S])` and
//! `avg_pool2d(K [, stride = S])`, windows without padding whose stride
//! defaults to the kernel, as PyTorch's.

use crate::rules::error::SpecError;
use crate::rules::layer::conv::{geometry_errors, window_output};

/// A pooling window: its kernel and stride, `[height, width]` each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSpec {
    kernel: [usize; 2],
    stride: [usize; 2],
}

impl PoolSpec {
    /// A window of `kernel` moved by `stride`.
    pub const fn new(kernel: [usize; 2], stride: [usize; 2]) -> PoolSpec {
        PoolSpec { kernel, stride }
    }

    /// The kernel's `[height, width]`.
    pub const fn kernel(&self) -> [usize; 2] {
        self.kernel
    }

    /// The stride `[height, width]`.
    pub const fn stride(&self) -> [usize; 2] {
        self.stride
    }

    /// The output's `[height, width]` for an input of `[height, width]`.
    pub(crate) fn output_size(&self, layer: usize, input: [usize; 2]) -> Result<[usize; 2], SpecError> {
        window_output(layer, input, self.kernel, self.stride, None)
    }

    /// A kernel or stride of 0 in layer `index`.
    pub(crate) fn geometry_errors(&self, index: usize, errors: &mut Vec<SpecError>) {
        geometry_errors(index, self.kernel, self.stride, errors);
    }
}
