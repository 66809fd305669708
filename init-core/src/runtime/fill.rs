//! Fill any `ndarray` tensor with an init scheme, like `torch.nn.init`.
//!
//! Fans follow PyTorch: a tensor of shape `(out, in, k1, k2, …)` has
//! `fan_in = in·k1·k2·…` and `fan_out = out·k1·k2·…`; a dense weight is
//! `(out, in)`. Values follow the tensor's logical (row-major) order, so the
//! same generator state gives the same tensor whatever its memory layout.
//! In the counter format (the default) a random fill takes one 64-bit word
//! from the generator you pass, the tensor's key (a constant fill or an
//! empty tensor takes none), and writes an f32 tensor in place with no
//! buffer. The values are f32 draws in this format, also in an f64 tensor;
//! [`fill_in_format`] selects the 0.1 format, which draws every value in
//! f64 from the generator in turn.
//!
//! ```
//! use netinit::{fill, generator, Activation};
//! use netinit::ndarray::Array2;
//!
//! let mut weight = Array2::<f32>::zeros((256, 784));
//! fill::he_normal(&mut weight, Activation::Relu, &mut generator(0))?;
//! let std = (weight.iter().map(|w| w * w).sum::<f32>() / weight.len() as f32).sqrt();
//! assert!((std - 0.0505).abs() < 0.001);
//! # Ok::<(), netinit::Error>(())
//! ```

use ndarray::{ArrayBase, DataMut, Dimension};
use rand::Rng;

use crate::rules::activation::Activation;
use crate::rules::fans::Fans;
use crate::rules::init::{Draw, Init};
use crate::runtime::alloc::zeroed;
use crate::runtime::counter::{self, Law, Source};
use crate::runtime::error::Error;
use crate::runtime::format::SamplerFormat;
use crate::runtime::orthogonal::{gram_schmidt, householder};
use crate::runtime::sample;
use crate::runtime::sampler::element_wise;

/// A float type weights can be stored in.
pub trait Element: Copy + 'static {
    /// The nearest value of this type.
    fn from_f64(value: f64) -> Self;

    /// The values as f32, when this type is f32: the sampler then writes
    /// them in place.
    fn as_f32(values: &mut [Self]) -> Option<&mut [f32]> {
        let _ = values;
        None
    }
}

impl Element for f32 {
    fn from_f64(value: f64) -> f32 {
        value as f32
    }

    fn as_f32(values: &mut [f32]) -> Option<&mut [f32]> {
        Some(values)
    }
}

impl Element for f64 {
    fn from_f64(value: f64) -> f64 {
        value
    }
}

/// Fill `tensor` with `init`, as for a layer followed by `activation`
/// (which decides the derived gain of He and orthogonal inits), in the
/// counter format: `rng` gives the tensor's key and advances by one word.
///
/// Errors: [`Error::FansUndefined`] for a variance-scaling or orthogonal init
/// on a tensor with fewer than two dimensions, [`Error::InvalidScale`] for a
/// negative or non-finite scale. An empty tensor is left as it is.
pub fn fill<A, S, D>(
    tensor: &mut ArrayBase<S, D>,
    init: &Init,
    activation: Activation,
    rng: &mut impl Rng,
) -> Result<(), Error>
where
    A: Element,
    S: DataMut<Elem = A>,
    D: Dimension,
{
    fill_in_format(tensor, init, activation, rng, SamplerFormat::default())
}

/// [`fill`] in a chosen sampler format: [`SamplerFormat::ChaChaRows`]
/// reproduces netinit 0.1's `fill`, drawing each value from `rng` in turn.
///
/// ```
/// use netinit::{fill, generator, Activation, Init, SamplerFormat};
/// use netinit::ndarray::Array2;
///
/// let mut weight = Array2::<f32>::zeros((64, 32));
/// fill::fill_in_format(&mut weight, &Init::he_normal(), Activation::Relu, &mut generator(0), SamplerFormat::ChaChaRows)?;
/// # Ok::<(), netinit::Error>(())
/// ```
pub fn fill_in_format<A, S, D>(
    tensor: &mut ArrayBase<S, D>,
    init: &Init,
    activation: Activation,
    rng: &mut impl Rng,
    format: SamplerFormat,
) -> Result<(), Error>
where
    A: Element,
    S: DataMut<Elem = A>,
    D: Dimension,
{
    if let Some((what, value)) = init.invalid_scale() {
        return Err(Error::InvalidScale { what, value });
    }
    let shape = tensor.shape().to_vec();
    let needs_fans = matches!(init, Init::Scaled(_) | Init::Orthogonal { .. });
    let fans = match Fans::from_shape(&shape) {
        Some(fans) => fans,
        None if needs_fans && shape.len() >= 2 => return Err(Error::FansOverflow { shape }),
        None if needs_fans => {
            return Err(Error::FansUndefined {
                dimensions: shape.len(),
            })
        }
        None => Fans::dense(0, 0),
    };
    if tensor.is_empty() {
        return Ok(());
    }
    match (init.draw(activation, fans), format) {
        (Draw::Constant { value }, _) => tensor.fill(A::from_f64(value)),
        (Draw::Orthogonal { gain }, SamplerFormat::Counter) => {
            let (rows, len) = (shape[0], tensor.len());
            let mut normals = zeroed::<f32>(len, "an orthogonal matrix's Gaussian draw")?;
            counter::fill(&mut normals, 0, Law::Normal, 1.0, source(rng));
            let values = householder(rows, len / rows, gain, normals)?;
            copy(tensor, values.into_iter().map(|v| A::from_f64(f64::from(v))));
        }
        (Draw::Orthogonal { gain }, SamplerFormat::ChaChaRows) => {
            let (rows, len) = (shape[0], tensor.len());
            let gaussian = |out: &mut [f64]| sample::fill(out, Draw::Normal { std: 1.0 }, rng);
            let values = gram_schmidt(rows, len / rows, gain, gaussian)?;
            copy(tensor, values.into_iter().map(A::from_f64));
        }
        (draw, SamplerFormat::Counter) => {
            let (kind, scale) = element_wise(draw);
            let source = source(rng);
            match tensor.as_slice_mut().and_then(A::as_f32) {
                Some(values) => counter::fill(values, 0, kind, scale, source),
                None => {
                    let mut values = zeroed::<f32>(tensor.len(), "the tensor's values")?;
                    counter::fill(&mut values, 0, kind, scale, source);
                    copy(tensor, values.into_iter().map(|v| A::from_f64(f64::from(v))));
                }
            }
        }
        (draw, SamplerFormat::ChaChaRows) => {
            let mut values = zeroed::<f64>(tensor.len(), "the tensor's values")?;
            sample::fill(&mut values, draw, rng);
            copy(tensor, values.into_iter().map(A::from_f64));
        }
    }
    Ok(())
}

/// A tensor's counter source: its key is the generator's next word.
fn source(rng: &mut impl Rng) -> Source {
    let key = rng.next_u64();
    Source {
        key: [key as u32, (key >> 32) as u32],
        stream: 0,
    }
}

/// Write `values` into `tensor` in its logical order.
fn copy<A, S: DataMut<Elem = A>, D: Dimension>(
    tensor: &mut ArrayBase<S, D>,
    values: impl Iterator<Item = A>,
) {
    tensor
        .iter_mut()
        .zip(values)
        .for_each(|(slot, value)| *slot = value);
}

/// He (Kaiming) normal, fan_in, with `activation`'s gain
/// (`torch.nn.init.kaiming_normal_`).
pub fn he_normal<A: Element, S: DataMut<Elem = A>, D: Dimension>(
    tensor: &mut ArrayBase<S, D>,
    activation: Activation,
    rng: &mut impl Rng,
) -> Result<(), Error> {
    fill(tensor, &Init::he_normal(), activation, rng)
}

/// He (Kaiming) uniform, fan_in, with `activation`'s gain
/// (`torch.nn.init.kaiming_uniform_`).
pub fn he_uniform<A: Element, S: DataMut<Elem = A>, D: Dimension>(
    tensor: &mut ArrayBase<S, D>,
    activation: Activation,
    rng: &mut impl Rng,
) -> Result<(), Error> {
    fill(tensor, &Init::he_uniform(), activation, rng)
}

/// Xavier (Glorot) normal, fan_avg, gain 1 (`torch.nn.init.xavier_normal_`).
pub fn xavier_normal<A: Element, S: DataMut<Elem = A>, D: Dimension>(
    tensor: &mut ArrayBase<S, D>,
    rng: &mut impl Rng,
) -> Result<(), Error> {
    fill(tensor, &Init::xavier_normal(), Activation::Identity, rng)
}

/// Xavier (Glorot) uniform, fan_avg, gain 1 (`torch.nn.init.xavier_uniform_`).
pub fn xavier_uniform<A: Element, S: DataMut<Elem = A>, D: Dimension>(
    tensor: &mut ArrayBase<S, D>,
    rng: &mut impl Rng,
) -> Result<(), Error> {
    fill(tensor, &Init::xavier_uniform(), Activation::Identity, rng)
}

/// LeCun normal, fan_in, gain 1 (Keras' `lecun_normal`, for SELU).
pub fn lecun_normal<A: Element, S: DataMut<Elem = A>, D: Dimension>(
    tensor: &mut ArrayBase<S, D>,
    rng: &mut impl Rng,
) -> Result<(), Error> {
    fill(tensor, &Init::lecun_normal(), Activation::Selu, rng)
}

/// LeCun uniform, fan_in, gain 1 (Keras' `lecun_uniform`).
pub fn lecun_uniform<A: Element, S: DataMut<Elem = A>, D: Dimension>(
    tensor: &mut ArrayBase<S, D>,
    rng: &mut impl Rng,
) -> Result<(), Error> {
    fill(tensor, &Init::lecun_uniform(), Activation::Selu, rng)
}

/// A (semi-)orthogonal matrix times `gain`, trailing dimensions flattened
/// (`torch.nn.init.orthogonal_`).
pub fn orthogonal<A: Element, S: DataMut<Elem = A>, D: Dimension>(
    tensor: &mut ArrayBase<S, D>,
    gain: f64,
    rng: &mut impl Rng,
) -> Result<(), Error> {
    fill(
        tensor,
        &Init::Orthogonal { gain: Some(gain) },
        Activation::Identity,
        rng,
    )
}

/// `N(0, std²)` (`torch.nn.init.normal_`).
pub fn normal<A: Element, S: DataMut<Elem = A>, D: Dimension>(
    tensor: &mut ArrayBase<S, D>,
    std: f64,
    rng: &mut impl Rng,
) -> Result<(), Error> {
    fill(tensor, &Init::Normal { std }, Activation::Identity, rng)
}

/// `U(-bound, bound)` (`torch.nn.init.uniform_(-bound, bound)`).
pub fn uniform<A: Element, S: DataMut<Elem = A>, D: Dimension>(
    tensor: &mut ArrayBase<S, D>,
    bound: f64,
    rng: &mut impl Rng,
) -> Result<(), Error> {
    fill(tensor, &Init::Uniform { bound }, Activation::Identity, rng)
}

/// `N(0, std²)` cut at `±2 std` (Keras' `TruncatedNormal(stddev=std)`).
pub fn truncated_normal<A: Element, S: DataMut<Elem = A>, D: Dimension>(
    tensor: &mut ArrayBase<S, D>,
    std: f64,
    rng: &mut impl Rng,
) -> Result<(), Error> {
    fill(tensor, &Init::TruncatedNormal { std }, Activation::Identity, rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::generator::generator;
    use ndarray::{Array1, Array2, Array4, ShapeBuilder};

    #[test]
    fn convolution_kernels_use_the_receptive_field() {
        // (64, 3, 3, 3): fan_in = 27, He std = sqrt(2 / 27).
        let mut kernel = Array4::<f64>::zeros((64, 3, 3, 3));
        he_normal(&mut kernel, Activation::Relu, &mut generator(1)).unwrap();
        let n = kernel.len() as f64;
        let std = (kernel.iter().map(|w| w * w).sum::<f64>() / n).sqrt();
        let expected = (2.0_f64 / 27.0).sqrt();
        // 1728 draws: the std's standard error is expected / sqrt(2n); allow 5.
        assert!(
            (std - expected).abs() < 5.0 * expected / (2.0 * n).sqrt(),
            "{std}"
        );
    }

    #[test]
    fn layout_does_not_change_the_values() {
        let mut row_major = Array2::<f32>::zeros((30, 40));
        let mut column_major = Array2::<f32>::zeros((30, 40).f());
        xavier_uniform(&mut row_major, &mut generator(5)).unwrap();
        xavier_uniform(&mut column_major, &mut generator(5)).unwrap();
        assert_eq!(row_major, column_major);
    }

    #[test]
    fn vectors_have_no_fans() {
        let mut bias = Array1::<f32>::zeros(10);
        assert_eq!(
            he_normal(&mut bias, Activation::Relu, &mut generator(0)),
            Err(Error::FansUndefined { dimensions: 1 })
        );
        normal(&mut bias, 0.1, &mut generator(0)).unwrap();
        assert!(bias.iter().any(|b| *b != 0.0));
    }

    #[test]
    fn bad_scales_are_refused_and_nothing_is_written() {
        let mut weight = Array2::<f32>::ones((3, 3));
        assert_eq!(
            normal(&mut weight, -1.0, &mut generator(0)),
            Err(Error::InvalidScale {
                what: "std",
                value: -1.0
            })
        );
        assert!(uniform(&mut weight, f64::NAN, &mut generator(0)).is_err());
        assert!(weight.iter().all(|w| *w == 1.0));
    }

    #[test]
    fn orthogonal_fills_a_view() {
        let mut weight = Array2::<f64>::zeros((8, 8));
        orthogonal(&mut weight.view_mut(), 1.0, &mut generator(9)).unwrap();
        let product = weight.dot(&weight.t());
        // The counter format's QR is in f32: orthonormal to f32 precision.
        for ((i, j), value) in product.indexed_iter() {
            let expected = if i == j { 1.0 } else { 0.0 };
            assert!((value - expected).abs() < 1e-6);
        }
    }
}
