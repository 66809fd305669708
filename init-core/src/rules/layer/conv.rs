//! The convolution's rules: `conv2d(IN -> OUT, ACTIVATION, kernel = K, …)`,
//! its geometry (kernel, stride, padding) and the output size it gives.

use crate::rules::activation::Activation;
use crate::rules::error::SpecError;
use crate::rules::layer::affine::AffineSpec;
use crate::rules::part::Part;

/// A convolution's zero padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    /// This many rows and columns of zeros on each side: `[height, width]`.
    Explicit([usize; 2]),
    /// As much as keeps the output the size of the input: `(K - 1) / 2` on
    /// each side, for an odd kernel at stride 1 (PyTorch's `padding='same'`,
    /// which also pads an even kernel unevenly; that is refused here).
    Same,
}

impl Padding {
    /// The same padding on every side.
    pub const fn uniform(padding: usize) -> Padding {
        Padding::Explicit([padding, padding])
    }
}

/// `conv2d(IN -> OUT, ACTIVATION, kernel = K, stride = S, padding = P)`:
/// weights `(OUT, IN, KH, KW)` like PyTorch's `Conv2d`, biases `(OUT)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conv2dSpec {
    affine: AffineSpec,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: Padding,
}

impl Conv2dSpec {
    /// A convolution of stride 1 and no padding, with the init derived from
    /// its activation (fans counting the receptive field) and zero biases.
    pub const fn new(
        inputs: usize,
        outputs: usize,
        activation: Activation,
        kernel: [usize; 2],
    ) -> Conv2dSpec {
        Conv2dSpec {
            affine: AffineSpec::new(inputs, outputs, activation)
                .with_receptive_field(kernel[0].saturating_mul(kernel[1])),
            kernel,
            stride: [1, 1],
            padding: Padding::Explicit([0, 0]),
        }
    }

    /// The same convolution with another stride `[height, width]`.
    pub const fn with_stride(self, stride: [usize; 2]) -> Conv2dSpec {
        Conv2dSpec { stride, ..self }
    }

    /// The same convolution with another padding.
    pub const fn with_padding(self, padding: Padding) -> Conv2dSpec {
        Conv2dSpec { padding, ..self }
    }

    /// The same convolution with another weighted core (its receptive field kept).
    pub(crate) const fn with_affine(self, affine: AffineSpec) -> Conv2dSpec {
        Conv2dSpec {
            affine: affine.with_receptive_field(self.affine.receptive_field()),
            ..self
        }
    }

    /// Channels in and out, the activation and the inits.
    pub const fn affine(&self) -> &AffineSpec {
        &self.affine
    }

    /// The kernel's `[height, width]`.
    pub const fn kernel(&self) -> [usize; 2] {
        self.kernel
    }

    /// The stride `[height, width]`.
    pub const fn stride(&self) -> [usize; 2] {
        self.stride
    }

    /// The padding as written.
    pub const fn padding(&self) -> Padding {
        self.padding
    }

    /// The zeros added on each side, `[height, width]`, `same` resolved.
    pub const fn padding_sizes(&self) -> [usize; 2] {
        match self.padding {
            Padding::Explicit(sizes) => sizes,
            Padding::Same => [
                self.kernel[0].saturating_sub(1) / 2,
                self.kernel[1].saturating_sub(1) / 2,
            ],
        }
    }

    /// The output's `[height, width]` for an input of `[height, width]`, or
    /// the reason there is none.
    pub(crate) fn output_size(&self, layer: usize, input: [usize; 2]) -> Result<[usize; 2], SpecError> {
        window_output(layer, input, self.kernel, self.stride, Some(self.padding_sizes()))
    }

    /// The mistakes in the geometry of layer `index`: a kernel or stride
    /// of 0, `same` padding where it cannot keep the size.
    pub(crate) fn geometry_errors(&self, index: usize, errors: &mut Vec<SpecError>) {
        geometry_errors(index, self.kernel, self.stride, errors);
        let odd = self.kernel[0] % 2 == 1 && self.kernel[1] % 2 == 1;
        if self.padding == Padding::Same && (self.stride != [1, 1] || !odd) {
            errors.push(SpecError::SamePadding {
                layer: index,
                kernel: self.kernel,
                stride: self.stride,
            });
        }
    }
}

/// A kernel or stride of 0 in layer `index`.
pub(crate) fn geometry_errors(
    index: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    errors: &mut Vec<SpecError>,
) {
    if kernel.contains(&0) {
        errors.push(SpecError::ZeroSize {
            layer: index,
            part: Part::Kernel,
        });
    }
    if stride.contains(&0) {
        errors.push(SpecError::ZeroSize {
            layer: index,
            part: Part::Stride,
        });
    }
}

/// The output size of a window of `kernel` moved by `stride` over an input
/// padded by `padding` on each side (`None`: a pooling, never padded):
/// `(in + 2p - k) / s + 1` per axis, as PyTorch computes it (rounding
/// down), or the error for a window larger than its padded input. Kernel
/// and stride are checked nonzero before.
pub(crate) fn window_output(
    layer: usize,
    input: [usize; 2],
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: Option<[usize; 2]>,
) -> Result<[usize; 2], SpecError> {
    let mut output = [0; 2];
    for axis in 0..2 {
        let sides = padding.map_or(0, |padding| padding[axis]);
        let padded = input[axis].saturating_add(sides.saturating_mul(2));
        if kernel[axis] > padded {
            return Err(SpecError::KernelTooLarge {
                layer,
                axis,
                kernel: kernel[axis],
                input: input[axis],
                padding: padding.map(|padding| padding[axis]),
            });
        }
        output[axis] = (padded - kernel[axis]) / stride[axis].max(1) + 1;
    }
    Ok(output)
}
