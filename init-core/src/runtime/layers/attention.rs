//! Attention at run time. The projections are matrix products over every
//! token of the batch at once; the scores, their softmax and the weighted
//! values are computed example by example (in parallel, each example the
//! same bits whatever the threads), head by head, through one `(T, T)`
//! buffer per head at a time. The backward pass keeps each row's
//! log-sum-exp from the forward pass and computes the scores again rather
//! than keeping them. A causal mask's rows are taken in blocks, each
//! product stopping at the block's last key, so most of the masked work is
//! never done.

use ndarray::{s, Array2, ArrayView2, ArrayViewMut1, ArrayViewMut2, Axis};
use rayon::prelude::*;

use crate::rules::layer::AttentionSpec;
use crate::runtime::error::Error;
use crate::runtime::layers::rows::{into_example_rows, on_token_rows, token_rows};
use crate::runtime::layers::{values, vector, Back, Compute, Computed, Io, Tensor};
use crate::runtime::mode::Mode;
use crate::runtime::product::{product, product_add_into, product_into};

/// The rows of a causal mask taken together: each block's products stop
/// at its last row's key.
const BLOCK: usize = 16;

/// What the forward pass keeps for the backward pass.
struct Kept {
    /// The queries, keys and values, `(n·T, D)`.
    q: Array2<f32>,
    k: Array2<f32>,
    v: Array2<f32>,
    /// The heads' outputs side by side, before `o`, `(n·T, D)`.
    mixed: Array2<f32>,
    /// Each row's log-sum-exp of its scaled scores, `(n·H, T)`.
    lse: Array2<f32>,
}

impl AttentionSpec {
    /// The index of projection `lane`'s weights among the tensors.
    fn weight_index(&self, lane: usize) -> usize {
        lane * if self.has_bias() { 2 } else { 1 }
    }

    /// `x · Wᵀ + b` for projection `lane`.
    fn project(&self, tensors: &[Tensor], lane: usize, x: ArrayView2<f32>) -> Array2<f32> {
        let index = self.weight_index(lane);
        let mut y = product(x, values(tensors, index).t());
        if self.has_bias() {
            if let Some(bias) = vector(tensors, index + 1) {
                y += &bias;
            }
        }
        y
    }

    /// The shapes of one pass: tokens, heads, features per head.
    fn geometry(&self, io: Io) -> Geometry {
        let tokens = io.input.tokens().unwrap_or(1).max(1);
        Geometry {
            tokens,
            heads: self.heads().max(1),
            head: self.head_features().max(1),
            causal: self.is_causal(),
        }
    }
}

/// The sizes of a pass.
#[derive(Clone, Copy)]
struct Geometry {
    tokens: usize,
    heads: usize,
    head: usize,
    causal: bool,
}

impl Geometry {
    /// The row blocks `[start, end)` and the keys each sees, `0..keys`.
    fn blocks(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        let step = if self.causal { BLOCK } else { self.tokens };
        (0..self.tokens).step_by(step).map(move |start| {
            let end = (start + step).min(self.tokens);
            let keys = if self.causal { end } else { self.tokens };
            (start, end, keys)
        })
    }

    /// The keys row `row` sees.
    fn keys_of(&self, row: usize) -> usize {
        if self.causal {
            row + 1
        } else {
            self.tokens
        }
    }

    /// `1/√(D/H)`.
    fn scale(&self) -> f32 {
        1.0 / (self.head as f32).sqrt()
    }
}

impl Compute for AttentionSpec {
    fn forward(&self, tensors: &[Tensor], input: ArrayView2<f32>, io: Io, _: Mode) -> Computed {
        let x = token_rows(input, io.input);
        let (q, k, v) = (
            self.project(tensors, 0, x),
            self.project(tensors, 1, x),
            self.project(tensors, 2, x),
        );
        let geometry = self.geometry(io);
        let examples = x.nrows() / geometry.tokens;
        let per_example: Vec<(Array2<f32>, Array2<f32>)> = (0..examples)
            .into_par_iter()
            .map(|example| {
                mix(
                    geometry,
                    rows_of(&q, example, geometry),
                    rows_of(&k, example, geometry),
                    rows_of(&v, example, geometry),
                )
            })
            .collect();
        let mut mixed = Array2::zeros((x.nrows(), x.ncols()));
        let mut lse = Array2::zeros((examples * geometry.heads, geometry.tokens));
        for (example, (out, sums)) in per_example.into_iter().enumerate() {
            let rows = example * geometry.tokens..(example + 1) * geometry.tokens;
            mixed.slice_mut(s![rows, ..]).assign(&out);
            let heads = example * geometry.heads..(example + 1) * geometry.heads;
            lse.slice_mut(s![heads, ..]).assign(&sums);
        }
        let out = self.project(tensors, 3, mixed.view());
        Computed::new(None, out)
            .keeping(Kept { q, k, v, mixed, lse })
            .per_example(io.output)
    }

    fn backward(
        &self,
        tensors: &[Tensor],
        computed: &Computed,
        back: Back<'_>,
        delta: &mut Array2<f32>,
        gradients: Option<&mut Vec<Array2<f32>>>,
    ) -> Option<Array2<f32>> {
        let kept: &Kept = computed.kept().expect("attention keeps its projections");
        let x = token_rows(back.input, back.io.input);
        let geometry = self.geometry(back.io);
        let below = on_token_rows(delta, back.io.output, |delta| {
            let d_mixed = product(delta.view(), values(tensors, self.weight_index(3)));
            let examples = x.nrows() / geometry.tokens;
            let per_example: Vec<[Array2<f32>; 3]> = (0..examples)
                .into_par_iter()
                .map(|example| {
                    let lse = kept
                        .lse
                        .slice(s![example * geometry.heads..(example + 1) * geometry.heads, ..]);
                    unmix(
                        geometry,
                        rows_of(&kept.q, example, geometry),
                        rows_of(&kept.k, example, geometry),
                        rows_of(&kept.v, example, geometry),
                        lse,
                        rows_of(&d_mixed, example, geometry),
                    )
                })
                .collect();
            let mut d_qkv = [(); 3].map(|()| Array2::zeros((x.nrows(), x.ncols())));
            for (example, parts) in per_example.into_iter().enumerate() {
                let rows = example * geometry.tokens..(example + 1) * geometry.tokens;
                for (whole, part) in d_qkv.iter_mut().zip(parts) {
                    whole.slice_mut(s![rows.clone(), ..]).assign(&part);
                }
            }
            if let Some(gradients) = gradients {
                let sources = [
                    (&d_qkv[0], x),
                    (&d_qkv[1], x),
                    (&d_qkv[2], x),
                    (&*delta, kept.mixed.view()),
                ];
                for (gradient, input) in sources {
                    gradients.push(product(gradient.t(), input));
                    if self.has_bias() {
                        gradients.push(gradient.sum_axis(Axis(0)).insert_axis(Axis(0)));
                    }
                }
            }
            back.below.then(|| {
                let mut below = product(d_qkv[0].view(), values(tensors, self.weight_index(0)));
                for (lane, gradient) in d_qkv.iter().enumerate().skip(1) {
                    product_add_into(
                        gradient.view(),
                        values(tensors, self.weight_index(lane)),
                        below.view_mut(),
                    );
                }
                below
            })
        });
        below.map(|below| into_example_rows(below, back.io.input))
    }

    fn step_buffers(&self, _: &[Tensor], _: &mut [Tensor], _: &Computed) -> bool {
        true
    }

    fn check_batch(&self, _: ArrayView2<f32>, _: Io, _: Mode) -> Result<(), Error> {
        Ok(())
    }
}

/// Example `example`'s rows of a `(n·T, D)` array.
fn rows_of(array: &Array2<f32>, example: usize, geometry: Geometry) -> ArrayView2<'_, f32> {
    array.slice(s![example * geometry.tokens..(example + 1) * geometry.tokens, ..])
}

/// Head `head`'s columns of one example's `(T, D)` rows.
fn head_of<'a>(rows: ArrayView2<'a, f32>, head: usize, geometry: Geometry) -> ArrayView2<'a, f32> {
    rows.slice_move(s![.., head * geometry.head..(head + 1) * geometry.head])
}

/// The scaled scores of one head for the rows of each block, the keys
/// past a block's last row left out under a causal mask.
fn scores(geometry: Geometry, q: ArrayView2<f32>, k: ArrayView2<f32>, buffer: &mut Array2<f32>) {
    for (start, end, keys) in geometry.blocks() {
        product_into(
            q.slice(s![start..end, ..]),
            k.slice(s![..keys, ..]).t(),
            buffer.slice_mut(s![start..end, ..keys]),
        );
    }
}

/// One example's attention: each head's softmax of its scores over the
/// keys each row sees, times the values; the heads' outputs side by side
/// `(T, D)` and each row's log-sum-exp `(H, T)`.
fn mix(
    geometry: Geometry,
    q: ArrayView2<f32>,
    k: ArrayView2<f32>,
    v: ArrayView2<f32>,
) -> (Array2<f32>, Array2<f32>) {
    let tokens = geometry.tokens;
    let mut out = Array2::zeros((tokens, q.ncols()));
    let mut lse = Array2::zeros((geometry.heads, tokens));
    let mut weights = Array2::zeros((tokens, tokens));
    for head in 0..geometry.heads {
        let (q, k, v) = (
            head_of(q, head, geometry),
            head_of(k, head, geometry),
            head_of(v, head, geometry),
        );
        scores(geometry, q, k, &mut weights);
        for (row, mut scores) in weights.rows_mut().into_iter().enumerate() {
            lse[[head, row]] = softmax(scores.slice_mut(s![..geometry.keys_of(row)]), geometry.scale());
            scores.slice_mut(s![geometry.keys_of(row)..]).fill(0.0);
        }
        let mut head_out = out.slice_mut(s![.., head * geometry.head..(head + 1) * geometry.head]);
        for (start, end, keys) in geometry.blocks() {
            product_into(
                weights.slice(s![start..end, ..keys]),
                v.slice(s![..keys, ..]),
                head_out.slice_mut(s![start..end, ..]),
            );
        }
    }
    (out, lse)
}

/// `p = softmax(scale · s)` in place over `scores`; returns the
/// log-sum-exp `max + ln Σ e^(scale·s − max)`.
fn softmax(mut scores: ArrayViewMut1<'_, f32>, scale: f32) -> f32 {
    let max = scores
        .iter()
        .fold(f32::NEG_INFINITY, |max, &s| max.max(s * scale));
    let mut sum = 0.0;
    scores.mapv_inplace(|s| {
        let e = (s * scale - max).exp();
        sum += e;
        e
    });
    scores.mapv_inplace(|e| e / sum);
    max + sum.ln()
}

/// One example's gradients of its queries, keys and values `(T, D)` from
/// the gradient of its heads' outputs `d_mixed`, the scores computed
/// again and their softmax taken from each row's log-sum-exp.
fn unmix(
    geometry: Geometry,
    q: ArrayView2<f32>,
    k: ArrayView2<f32>,
    v: ArrayView2<f32>,
    lse: ArrayView2<f32>,
    d_mixed: ArrayView2<f32>,
) -> [Array2<f32>; 3] {
    let tokens = geometry.tokens;
    let mut grads = [(); 3].map(|()| Array2::zeros((tokens, q.ncols())));
    let (mut weights, mut d_weights) = (Array2::zeros((tokens, tokens)), Array2::zeros((tokens, tokens)));
    let scale = geometry.scale();
    for head in 0..geometry.heads {
        let columns = head * geometry.head..(head + 1) * geometry.head;
        let (q, k, v) = (
            head_of(q, head, geometry),
            head_of(k, head, geometry),
            head_of(v, head, geometry),
        );
        let d_out = head_of(d_mixed, head, geometry);
        scores(geometry, q, k, &mut weights);
        // dP = dO · Vᵀ, blocked as the scores.
        scores(geometry, d_out, v, &mut d_weights);
        for (row, (mut p, mut dp)) in weights
            .rows_mut()
            .into_iter()
            .zip(d_weights.rows_mut())
            .enumerate()
        {
            let keys = geometry.keys_of(row);
            let sum = lse[[head, row]];
            p.slice_mut(s![..keys]).mapv_inplace(|s| (s * scale - sum).exp());
            p.slice_mut(s![keys..]).fill(0.0);
            // dS = P ⊙ (dP − Σ_j P_j dP_j), times the scale for q and k.
            let along: f32 = p.iter().zip(dp.iter()).take(keys).map(|(&p, &d)| p * d).sum();
            dp.iter_mut()
                .zip(p.iter())
                .take(keys)
                .for_each(|(d, &p)| *d = p * (*d - along) * scale);
            dp.slice_mut(s![keys..]).fill(0.0);
        }
        let [d_q, d_k, d_v] = &mut grads;
        let (mut d_q, mut d_k, mut d_v) = (
            d_q.slice_mut(s![.., columns.clone()]),
            d_k.slice_mut(s![.., columns.clone()]),
            d_v.slice_mut(s![.., columns]),
        );
        for (start, end, keys) in geometry.blocks() {
            let p = weights.slice(s![start..end, ..keys]);
            let ds = d_weights.slice(s![start..end, ..keys]);
            product_add_into(p.t(), d_out.slice(s![start..end, ..]), sub(&mut d_v, keys));
            product_into(ds, k.slice(s![..keys, ..]), d_q.slice_mut(s![start..end, ..]));
            product_add_into(ds.t(), q.slice(s![start..end, ..]), sub(&mut d_k, keys));
        }
    }
    grads
}

/// The first `keys` rows of a head's gradient.
fn sub<'a>(gradient: &'a mut ArrayViewMut2<'_, f32>, keys: usize) -> ArrayViewMut2<'a, f32> {
    gradient.slice_mut(s![..keys, ..])
}
