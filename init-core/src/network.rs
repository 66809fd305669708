//! A sampled network: dense layers with their weights, and the forward pass.

use std::ops::Range;

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rayon::prelude::*;

use crate::activate;
use crate::activation::Activation;
use crate::error::Error;
use crate::generator::LayerStreams;
use crate::orthogonal::orthogonal;
use crate::sample;
use crate::scheme::Draw;
use crate::spec::{LayerSpec, NetworkSpec, SpecError};

/// One dense layer: `activation(x · Wᵀ + b)`, with `W` stored `(out, in)`
/// like PyTorch's `Linear`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    weight: Array2<f32>,
    bias: Array1<f32>,
    activation: Activation,
}

impl Dense {
    /// The `(out, in)` weight matrix.
    pub fn weight(&self) -> &Array2<f32> {
        &self.weight
    }

    /// The weight matrix, to change in place (its shape cannot change).
    pub fn weight_mut(&mut self) -> ndarray::ArrayViewMut2<'_, f32> {
        self.weight.view_mut()
    }

    /// The `out` biases.
    pub fn bias(&self) -> &Array1<f32> {
        &self.bias
    }

    /// The biases, to change in place.
    pub fn bias_mut(&mut self) -> ndarray::ArrayViewMut1<'_, f32> {
        self.bias.view_mut()
    }

    /// The activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The input width.
    pub fn inputs(&self) -> usize {
        self.weight.ncols()
    }

    /// The output width.
    pub fn outputs(&self) -> usize {
        self.weight.nrows()
    }

    /// How many different rows the weight matrix has (bit for bit): one per
    /// output neuron when symmetry is broken, 1 when every neuron is the same.
    pub fn distinct_rows(&self) -> usize {
        distinct(
            self.weight
                .rows()
                .into_iter()
                .map(|row| row.iter().map(|w| w.to_bits()).collect()),
        )
    }

    /// How many different columns the weight matrix has: 1 when every input
    /// neuron is weighted the same, so the neurons below are interchangeable.
    pub fn distinct_columns(&self) -> usize {
        distinct(
            self.weight
                .columns()
                .into_iter()
                .map(|column| column.iter().map(|w| w.to_bits()).collect()),
        )
    }

    /// The pre-activation `x · Wᵀ + b` of a batch whose width is already checked.
    pub fn affine(&self, input: ArrayView2<f32>) -> Array2<f32> {
        input.dot(&self.weight.t()) + &self.bias
    }
}

/// Pre-activations and outputs of every layer for one batch.
pub(crate) struct Cache {
    pub(crate) pre: Vec<Array2<f32>>,
    pub(crate) out: Vec<Array2<f32>>,
}

impl Cache {
    /// The last layer's pre-activations (the logits) and outputs.
    pub(crate) fn top(&self) -> (&Array2<f32>, &Array2<f32>) {
        match (self.pre.last(), self.out.last()) {
            (Some(pre), Some(out)) => (pre, out),
            _ => unreachable!("a checked network has at least one layer"),
        }
    }
}

/// A network sampled from a [`NetworkSpec`]: one [`Dense`] per layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    spec: NetworkSpec,
    layers: Vec<Dense>,
}

impl NetworkSpec {
    /// Sample every layer's weights and biases with its init, from `seed`.
    ///
    /// The same seed gives bit-identical weights on every platform and for
    /// any number of threads; each layer has its own streams, so changing
    /// one layer leaves the others as they were (see the `generator` docs).
    ///
    /// ```
    /// use init_core::{Activation, LayerSpec, NetworkSpec};
    /// let spec = NetworkSpec::new(vec![LayerSpec::dense(784, 256, Activation::Relu)])?;
    /// let network = spec.init(42);
    /// assert_eq!(network.layers()[0].weight().dim(), (256, 784));
    /// assert_eq!(network, spec.init(42));
    /// # Ok::<(), init_core::SpecError>(())
    /// ```
    pub fn init(&self, seed: u64) -> Network {
        let layers = self
            .layers()
            .iter()
            .enumerate()
            .map(|(index, layer)| {
                let streams = LayerStreams::new(seed, index);
                Dense {
                    weight: sample_rows(layer, &streams, 0..layer.outputs()),
                    bias: sample_bias(layer, &streams),
                    activation: layer.activation(),
                }
            })
            .collect();
        Network {
            spec: self.clone(),
            layers,
        }
    }

    /// Rows `rows` of layer `layer`'s weights alone, bit-identical to the same
    /// rows of `self.init(seed)`: a tensor-parallel shard without sampling
    /// the rest (orthogonal init, which couples all rows, computes them all).
    ///
    /// ```
    /// use init_core::{Activation, LayerSpec, NetworkSpec};
    /// use ndarray::s;
    /// let spec = NetworkSpec::new(vec![LayerSpec::dense(784, 256, Activation::Relu)])?;
    /// let shard = spec.sample_rows(7, 0, 64..128)?;
    /// assert_eq!(shard, spec.init(7).layers()[0].weight().slice(s![64..128, ..]));
    /// # Ok::<(), init_core::Error>(())
    /// ```
    pub fn sample_rows(&self, seed: u64, layer: usize, rows: Range<usize>) -> Result<Array2<f32>, Error> {
        let layers = self.layers();
        let spec = layers.get(layer).ok_or(SpecError::NoSuchLayer {
            index: layer,
            layers: layers.len(),
        })?;
        if rows.start > rows.end || rows.end > spec.outputs() {
            return Err(Error::RowRange {
                start: rows.start,
                end: rows.end,
                rows: spec.outputs(),
            });
        }
        Ok(sample_rows(spec, &LayerStreams::new(seed, layer), rows))
    }
}

fn sample_rows(layer: &LayerSpec, streams: &LayerStreams, rows: Range<usize>) -> Array2<f32> {
    let width = layer.inputs();
    let count = rows.len();
    let values: Vec<f32> = match layer.weight_draw() {
        Draw::Orthogonal { gain } => {
            let full = orthogonal(layer.outputs(), width, gain, &mut streams.matrix());
            full[rows.start * width..rows.end * width]
                .iter()
                .map(|&v| v as f32)
                .collect()
        }
        draw => {
            // Each row has its own stream, so rows can be drawn on any number
            // of threads with the same bits.
            let mut values = vec![0.0_f32; count * width];
            values.par_chunks_mut(width.max(1)).enumerate().for_each_init(
                || vec![0.0_f64; width],
                |row_buffer, (offset, out)| {
                    sample::fill(row_buffer, draw, &mut streams.row(rows.start + offset));
                    out.iter_mut()
                        .zip(row_buffer.iter())
                        .for_each(|(o, &v)| *o = v as f32);
                },
            );
            values
        }
    };
    Array2::from_shape_vec((count, width), values).expect("the buffer holds count * width values")
}

fn distinct(vectors: impl Iterator<Item = Vec<u32>>) -> usize {
    let mut vectors: Vec<Vec<u32>> = vectors.collect();
    vectors.sort_unstable();
    vectors.dedup();
    vectors.len()
}

fn sample_bias(layer: &LayerSpec, streams: &LayerStreams) -> Array1<f32> {
    let mut values = vec![0.0_f64; layer.outputs()];
    sample::fill(&mut values, layer.bias_draw(), &mut streams.bias());
    values.into_iter().map(|v| v as f32).collect()
}

impl Network {
    /// The description this network was sampled from.
    pub fn spec(&self) -> &NetworkSpec {
        &self.spec
    }

    /// The layers, first to last.
    pub fn layers(&self) -> &[Dense] {
        &self.layers
    }

    /// The layers, to change their weights in place.
    pub fn layers_mut(&mut self) -> &mut [Dense] {
        &mut self.layers
    }

    /// The width of the input.
    pub fn inputs(&self) -> usize {
        self.spec.inputs()
    }

    /// The width of the output.
    pub fn outputs(&self) -> usize {
        self.spec.outputs()
    }

    /// The output for a batch of `n` rows of `inputs()` features: `(n, outputs())`.
    ///
    /// ```
    /// use init_core::{Activation, Error, LayerSpec, NetworkSpec};
    /// use ndarray::Array2;
    /// let spec = NetworkSpec::new(vec![
    ///     LayerSpec::dense(4, 8, Activation::Relu),
    ///     LayerSpec::dense(8, 3, Activation::Softmax),
    /// ])?;
    /// let network = spec.init(0);
    /// let probabilities = network.forward(Array2::ones((5, 4)).view())?;
    /// assert_eq!(probabilities.dim(), (5, 3));
    /// assert_eq!(
    ///     network.forward(Array2::ones((5, 7)).view()),
    ///     Err(Error::InputWidth { expected: 4, found: 7 })
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn forward(&self, input: ArrayView2<f32>) -> Result<Array2<f32>, Error> {
        self.check_input(input)?;
        let mut activations: Option<Array2<f32>> = None;
        for layer in &self.layers {
            let mut next = match &activations {
                Some(previous) => layer.affine(previous.view()),
                None => layer.affine(input),
            };
            activate::apply(layer.activation, next.view_mut());
            activations = Some(next);
        }
        Ok(activations.expect("a checked network has at least one layer"))
    }

    /// Every layer's output for a batch, first to last: what the forward
    /// pass computes, kept for inspection.
    pub fn forward_all(&self, input: ArrayView2<f32>) -> Result<Vec<Array2<f32>>, Error> {
        Ok(self.forward_cached(input)?.out)
    }

    /// The forward pass keeping every layer's pre-activation and output, as
    /// the backward pass needs them.
    pub(crate) fn forward_cached(&self, input: ArrayView2<f32>) -> Result<Cache, Error> {
        self.check_input(input)?;
        let mut cache = Cache {
            pre: Vec::with_capacity(self.layers.len()),
            out: Vec::with_capacity(self.layers.len()),
        };
        for layer in &self.layers {
            let pre = match cache.out.last() {
                Some(previous) => layer.affine(previous.view()),
                None => layer.affine(input),
            };
            let mut out = pre.clone();
            activate::apply(layer.activation, out.view_mut());
            cache.pre.push(pre);
            cache.out.push(out);
        }
        Ok(cache)
    }

    fn check_input(&self, input: ArrayView2<f32>) -> Result<(), Error> {
        let found = input.len_of(Axis(1));
        if found != self.inputs() {
            return Err(Error::InputWidth {
                expected: self.inputs(),
                found,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheme::Init;
    use ndarray::s;

    fn spec(layers: Vec<LayerSpec>) -> NetworkSpec {
        NetworkSpec::new(layers).unwrap()
    }

    #[test]
    fn rows_alone_equal_the_slice_of_the_full_sample() {
        for init in [
            Init::he_normal(),
            Init::xavier_uniform(),
            Init::TruncatedNormal { std: 0.1 },
            Init::Orthogonal { gain: None },
        ] {
            let network = spec(vec![LayerSpec::dense(33, 50, Activation::Relu).with_weight(init)]);
            let full = network.init(5);
            for rows in [0..50, 0..1, 17..31, 49..50, 20..20] {
                let alone = network.sample_rows(5, 0, rows.clone()).unwrap();
                assert_eq!(alone, full.layers()[0].weight().slice(s![rows, ..]), "{init}");
            }
        }
    }

    #[test]
    fn changing_one_layer_leaves_the_others_bit_identical() {
        let before = spec(vec![
            LayerSpec::dense(20, 30, Activation::Relu),
            LayerSpec::dense(30, 40, Activation::Tanh),
            LayerSpec::dense(40, 5, Activation::Softmax),
        ]);
        let mut layers = before.layers().to_vec();
        layers[1] = LayerSpec::dense(30, 40, Activation::Gelu).with_weight(Init::he_uniform());
        let after = spec(layers);
        let (a, b) = (before.init(3), after.init(3));
        assert_eq!(a.layers()[0], b.layers()[0]);
        assert_eq!(a.layers()[2], b.layers()[2]);
        assert_ne!(a.layers()[1].weight(), b.layers()[1].weight());
    }

    #[test]
    fn distinct_rows_and_columns_count_symmetry() {
        let random = spec(vec![LayerSpec::dense(5, 4, Activation::Relu)]).init(0);
        assert_eq!(
            (
                random.layers()[0].distinct_rows(),
                random.layers()[0].distinct_columns()
            ),
            (4, 5)
        );
        let constant = spec(vec![
            LayerSpec::dense(5, 4, Activation::Relu).with_weight(Init::ones())
        ])
        .init(0);
        assert_eq!(
            (
                constant.layers()[0].distinct_rows(),
                constant.layers()[0].distinct_columns()
            ),
            (1, 1)
        );
    }

    #[test]
    fn bad_ranges_and_layers_are_errors() {
        let network = spec(vec![LayerSpec::dense(3, 4, Activation::Relu)]);
        assert_eq!(
            network.sample_rows(0, 1, 0..1),
            Err(Error::Spec(SpecError::NoSuchLayer { index: 1, layers: 1 }))
        );
        assert_eq!(
            network.sample_rows(0, 0, 2..5),
            Err(Error::RowRange {
                start: 2,
                end: 5,
                rows: 4
            })
        );
        #[allow(clippy::reversed_empty_ranges)]
        let backwards = 3..2;
        assert!(network.sample_rows(0, 0, backwards).is_err());
    }

    #[test]
    fn the_forward_pass_composes_the_layers() {
        let network = spec(vec![
            LayerSpec::dense(3, 4, Activation::Relu).with_bias(Init::Constant { value: 0.5 }),
            LayerSpec::dense(4, 2, Activation::Softmax),
        ])
        .init(1);
        let input = ndarray::array![[1.0_f32, -2.0, 0.5], [0.0, 0.0, 0.0]];
        let outputs = network.forward_all(input.view()).unwrap();
        let layer = &network.layers()[0];
        let hidden = (input.dot(&layer.weight().t()) + 0.5).mapv(|x| x.max(0.0));
        assert_eq!(outputs[0], hidden);
        assert_eq!(outputs[1], network.forward(input.view()).unwrap());
        for row in outputs[1].rows() {
            assert!((row.sum() - 1.0).abs() < 1e-6);
        }
        // A zero row meets only the biases: 0.5 through relu.
        assert!(outputs[0].row(1).iter().all(|&h| h == 0.5));
    }
}
