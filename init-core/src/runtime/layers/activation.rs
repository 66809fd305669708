//! Activations at run time: applied to `f32` batches (row by row for
//! softmax), and their derivatives; the activation layer's forward and
//! backward passes, and the helpers dense layers and convolutions apply
//! their activations with.

use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;

use crate::rules::activation::{Activation, SELU_ALPHA, SELU_LAMBDA};
use crate::rules::shape::Shape;
use crate::runtime::error::Error;
use crate::runtime::layers::gelu;
use crate::runtime::layers::rows::{on_token_rows, token_rows};
use crate::runtime::layers::{Back, Compute, Computed, Io, Tensor};
use crate::runtime::mode::Mode;
use crate::runtime::scratch;

impl Compute for Activation {
    /// The activation of each value (softmax over each token's features
    /// in a sequence), the input kept where the derivative needs it.
    fn forward(&self, _: &[Tensor], input: ArrayView2<f32>, io: Io, _: Mode) -> Computed {
        activated(*self, scratch::copy(token_rows(input, io.input))).per_example(io.output)
    }

    /// `δ ⊙ φ'(z)` (the row Jacobian for softmax), passed on below.
    fn backward(
        &self,
        _: &[Tensor],
        computed: &Computed,
        back: Back<'_>,
        delta: &mut Array2<f32>,
        _: Option<&mut Vec<Array2<f32>>>,
    ) -> Option<Array2<f32>> {
        if !back.fused_top {
            through(*self, computed, back.io.output, delta);
        }
        Some(core::mem::take(delta))
    }

    fn step_buffers(&self, _: &[Tensor], _: &mut [Tensor], _: &Computed) -> bool {
        true
    }

    fn check_batch(&self, _: ArrayView2<f32>, _: Io, _: Mode) -> Result<(), Error> {
        Ok(())
    }
}

/// `activation` applied to a batch of pre-activations, which are kept
/// where its derivative needs them (see [`needs_pre`]).
pub(crate) fn activated(activation: Activation, pre: Array2<f32>) -> Computed {
    if needs_pre(activation) {
        let mut out = scratch::copy(pre.view());
        apply(activation, out.view_mut());
        Computed::new(Some(pre), out)
    } else {
        // The output alone gives this activation's derivative.
        let mut out = pre;
        apply(activation, out.view_mut());
        Computed::new(None, out)
    }
}

/// The gradient `delta` with respect to an activation's outputs, in place,
/// as the one with respect to its pre-activations (see [`backward`]); a
/// sequence's softmax is taken over each token's features.
pub(crate) fn through(activation: Activation, computed: &Computed, output: Shape, delta: &mut Array2<f32>) {
    // Without a pre-activation, the output gives the derivative.
    let pre = computed.pre.as_ref().unwrap_or(&computed.out);
    let (pre, out) = (
        token_rows(pre.view(), output),
        token_rows(computed.out.view(), output),
    );
    on_token_rows(delta, output, |delta| backward(activation, pre, out, delta));
}

/// Values per task when an element-wise pass is shared between threads:
/// each value depends on itself alone, so the split changes no bit.
const CHUNK: usize = 1 << 15;

/// Whether the backward pass needs the pre-activation itself: not for the
/// identity, relu and leaky relu, whose derivative the output's sign gives
/// (`φ(z) > 0` exactly where `z > 0`, α being at least 0), so their layers
/// keep only the output.
pub(crate) fn needs_pre(activation: Activation) -> bool {
    !matches!(
        activation,
        Activation::Identity | Activation::Relu | Activation::LeakyRelu(_)
    )
}

/// Apply `activation` in place to a batch of pre-activations `(n, width)`.
pub fn apply(activation: Activation, mut batch: ArrayViewMut2<f32>) {
    match activation {
        Activation::Identity => {}
        Activation::Softmax => batch.axis_iter_mut(Axis(0)).for_each(|mut row| {
            // Subtracting the row's maximum keeps exp from overflowing.
            let max = row.fold(f32::NEG_INFINITY, |m, &x| m.max(x));
            row.mapv_inplace(|x| (x - max).exp());
            let sum = row.sum();
            row.mapv_inplace(|x| x / sum);
        }),
        _ => match batch.as_slice_mut() {
            Some(values) => values.par_chunks_mut(CHUNK).for_each(|chunk| match activation {
                // The common cases with their own loops, which the compiler vectorises.
                Activation::Relu => chunk.iter_mut().for_each(|x| *x = value(Activation::Relu, *x)),
                Activation::Gelu => gelu::apply(chunk),
                _ => chunk.iter_mut().for_each(|x| *x = value(activation, *x)),
            }),
            None => batch.mapv_inplace(|x| value(activation, x)),
        },
    }
}

/// One element of an element-wise activation.
#[inline]
pub fn value(activation: Activation, x: f32) -> f32 {
    match activation {
        Activation::Identity | Activation::Softmax => x,
        // Not `x.max(0.0)`, which maps NaN to 0: a NaN must show.
        Activation::Relu => {
            if x < 0.0 {
                0.0
            } else {
                x
            }
        }
        Activation::LeakyRelu(alpha) => {
            if x > 0.0 {
                x
            } else {
                alpha as f32 * x
            }
        }
        Activation::Elu(alpha) => {
            if x > 0.0 {
                x
            } else {
                alpha as f32 * x.exp_m1()
            }
        }
        Activation::Gelu => gelu::value(x),
        Activation::Silu => x * sigmoid(x),
        Activation::Selu => {
            if x > 0.0 {
                SELU_LAMBDA as f32 * x
            } else {
                (SELU_LAMBDA * SELU_ALPHA) as f32 * x.exp_m1()
            }
        }
        Activation::Softplus => x.max(0.0) + (-x.abs()).exp().ln_1p(),
        Activation::Tanh => x.tanh(),
        Activation::Sigmoid => sigmoid(x),
    }
}

/// The gradient with respect to the pre-activations `z`, given the gradient
/// with respect to the outputs `h = φ(z)`: `grad ⊙ φ'(z)` in place, and for
/// softmax its row Jacobian, `h ⊙ (grad - Σ grad·h)`. Where [`needs_pre`]
/// is false, `pre` may be the output itself.
pub fn backward(activation: Activation, pre: ArrayView2<f32>, out: ArrayView2<f32>, grad: &mut Array2<f32>) {
    match activation {
        Activation::Identity => {}
        Activation::Softmax => {
            for (mut g, h) in grad.axis_iter_mut(Axis(0)).zip(out.axis_iter(Axis(0))) {
                let dot: f32 = g.iter().zip(h.iter()).map(|(g, h)| g * h).sum();
                g.iter_mut().zip(h.iter()).for_each(|(g, h)| *g = h * (*g - dot));
            }
        }
        _ => match (grad.as_slice_mut(), pre.as_slice(), out.as_slice()) {
            (Some(grad), Some(pre), Some(out)) => grad
                .par_chunks_mut(CHUNK)
                .zip(pre.par_chunks(CHUNK).zip(out.par_chunks(CHUNK)))
                .for_each(|(grad, (pre, out))| match activation {
                    // The common cases with their own loops, which the compiler vectorises.
                    Activation::Relu => grad
                        .iter_mut()
                        .zip(pre)
                        .for_each(|(g, &z)| *g *= derivative(Activation::Relu, z, 0.0)),
                    Activation::Gelu => gelu::backward(grad, pre),
                    _ => grad
                        .iter_mut()
                        .zip(pre.iter().zip(out))
                        .for_each(|(g, (&z, &h))| *g *= derivative(activation, z, h)),
                }),
            _ => ndarray::Zip::from(grad)
                .and(pre)
                .and(out)
                .for_each(|g, &z, &h| *g *= derivative(activation, z, h)),
        },
    }
}

/// `φ'(z)` for an element-wise activation, using the output `h = φ(z)`
/// where that is cheaper.
#[inline]
pub fn derivative(activation: Activation, z: f32, h: f32) -> f32 {
    match activation {
        Activation::Identity | Activation::Softmax => 1.0,
        Activation::Relu => f32::from(u8::from(z > 0.0)),
        Activation::LeakyRelu(alpha) => {
            if z > 0.0 {
                1.0
            } else {
                alpha as f32
            }
        }
        Activation::Elu(alpha) => {
            if z > 0.0 {
                1.0
            } else {
                h + alpha as f32
            }
        }
        Activation::Gelu => gelu::derivative(z),
        Activation::Silu => {
            let s = sigmoid(z);
            s * (1.0 + z * (1.0 - s))
        }
        Activation::Selu => {
            if z > 0.0 {
                SELU_LAMBDA as f32
            } else {
                h + (SELU_LAMBDA * SELU_ALPHA) as f32
            }
        }
        Activation::Softplus => sigmoid(z),
        Activation::Tanh => 1.0 - h * h,
        Activation::Sigmoid => h * (1.0 - h),
    }
}

fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::activation::ELEMENTWISE;
    use ndarray::array;

    #[test]
    fn agrees_with_the_f64_rules() {
        for activation in ELEMENTWISE {
            for x in [-30.0, -2.5, -0.1, 0.0, 0.3, 4.0, 30.0] {
                let exact = activation.value(x);
                let got = value(activation, x as f32) as f64;
                assert!(
                    (got - exact).abs() <= 1e-6 * (1.0 + exact.abs()),
                    "{activation} at {x}: {got} vs {exact}"
                );
            }
        }
    }

    #[test]
    fn derivatives_agree_with_the_f64_rules() {
        for activation in ELEMENTWISE {
            for x in [-4.0, -0.6, 0.2, 3.0] {
                let exact = activation.derivative(x);
                let got = f64::from(derivative(activation, x as f32, value(activation, x as f32)));
                assert!(
                    (got - exact).abs() < 1e-5,
                    "{activation} at {x}: {got} vs {exact}"
                );
            }
        }
    }

    #[test]
    fn softmax_is_stable_and_sums_to_one() {
        let mut batch = array![[1000.0_f32, 1000.0, -1000.0], [0.0, 1.0, 2.0]];
        apply(Activation::Softmax, batch.view_mut());
        assert_eq!(batch.row(0).to_vec(), [0.5, 0.5, 0.0]);
        for row in batch.rows() {
            assert!((row.sum() - 1.0).abs() < 1e-6);
        }
    }
}
