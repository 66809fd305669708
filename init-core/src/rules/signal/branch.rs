//! The derived branch scaling: the last layer with parameters of each
//! residual block's branch gets the factor on its weights (a
//! normalization's `γ`) that makes the block add `1/B` of the second
//! moment of what the branch is added to (the block's input, or its
//! shortcut's output), as the analysis computes it for that block, `B` being
//! the number of blocks in the sequence the block sits in. `B` blocks in a
//! row then grow the signal by at most `(1 + 1/B)^B < e`, whether or not
//! the branches are normalized. What a block adds is the branch's second
//! moment and twice the product of the branch's mean and the skip's
//! (relu branches have a mean): both are counted.

use crate::rules::blocks::{self, Block, Nesting};
use crate::rules::layer::{LayerSpec, Marker};
use crate::rules::signal::forward::{Around, Walk};
use crate::rules::signal::{default_statistics, Moments};

/// The range of factors the scaling puts on a layer; where the analysis
/// asks for one outside it (a branch that passes almost nothing), or its
/// steps do not settle, the layer is left as it is.
const SCALES: core::ops::RangeInclusive<f64> = 1e-6..=1e6;

/// The most steps the search for one block's factor takes.
pub(crate) const MAX_STEPS: usize = 24;

/// `layers` with every branch's derived scaling set (and every other
/// layer's factor back at 1). Inner blocks are scaled first, so an outer
/// branch is measured with its inner blocks as they will be.
///
/// One walk forward does it: the walk is kept at each scaled layer, and at
/// its block's end the factors are tried from there, over the layers from
/// the scaled one to the end alone. The work is linear in the layers (at
/// most 24 tries of each block's tail).
pub fn scale_branches(layers: &[LayerSpec]) -> Vec<LayerSpec> {
    scale_counting(layers).0
}

/// [`scale_branches`], and how many layer steps the analysis took.
pub(crate) fn scale_counting(layers: &[LayerSpec]) -> (Vec<LayerSpec>, usize) {
    let mut layers: Vec<LayerSpec> = layers.iter().map(|layer| layer.with_branch_scale(1.0)).collect();
    halve_summed_tables(&mut layers);
    let around = Around::of(&layers);
    let nesting = around.nesting();
    let counts = blocks::sibling_counts(&layers);
    // For each block's end, the block and the layer its scaling goes on.
    let mut scaled_at: Vec<Option<(Block, usize)>> = vec![None; layers.len()];
    let mut targets = vec![false; layers.len()];
    for (which, block) in nesting.blocks().iter().enumerate() {
        if let Some(target) = scaled_layer(&layers, nesting, which) {
            scaled_at[block.end] = Some((*block, target));
            targets[target] = true;
        }
    }
    let mut moments = Moments::default();
    let mut tail = Tail {
        layers: &mut layers,
        around: &around,
        moments: &mut moments,
        seconds: Vec::with_capacity(targets.len()),
        steps: 0,
    };
    let mut walk = Walk::start(&default_statistics(tail.layers, 1.0));
    // The walk as it stood before each scaled layer whose block is open.
    let mut kept: Vec<(usize, Walk)> = Vec::new();
    for index in 0..targets.len() {
        if targets[index] {
            kept.push((index, walk.clone()));
        }
        let second = tail.step(&mut walk, index);
        tail.seconds.push(second);
        if let Some((block, target)) = scaled_at[index] {
            let Some(at) = kept.iter().rposition(|&(kept_at, _)| kept_at == target) else {
                continue;
            };
            let (_, from) = kept.remove(at);
            let ratio = 1.0 / counts[block.start].max(1) as f64;
            let scale = tail.branch_scale(&from, &block, target, ratio);
            tail.layers[target] = tail.layers[target].with_branch_scale(scale);
            // On from the scaled layer again, with its factor.
            walk = from;
            for again in target..=index {
                tail.seconds[again] = tail.step(&mut walk, again);
            }
        }
    }
    let steps = tail.steps;
    (layers, steps)
}

/// A position table added to the output of the layer right before it
/// (an embedding, a dense projection of patches): where both draw the
/// derived init, each gets the factor `1/√2`, so that their sum keeps the
/// second moment the layer before would give alone (the two are drawn
/// apart, so their second moments add).
fn halve_summed_tables(layers: &mut [LayerSpec]) {
    let derived = |layer: &LayerSpec| {
        layer
            .parameters()
            .iter()
            .any(|parameter| parameter.is_branch_scaled() && parameter.is_derived())
    };
    for index in 1..layers.len() {
        let table = layers[index]
            .kind()
            .rules()
            .is_some_and(|kind| kind.properties().adds_to_previous);
        if table && derived(&layers[index]) && derived(&layers[index - 1]) {
            for at in [index - 1, index] {
                layers[at] = layers[at].with_branch_scale(core::f64::consts::FRAC_1_SQRT_2);
            }
        }
    }
}

/// The branch's last layer with parameters (not one in a block nested in
/// it), when the `which`-th block is scaled and that layer's init is the
/// derived one (a normalization's `γ` the default ones); `init = zeros` or
/// any other init written on it is kept as written.
fn scaled_layer(layers: &[LayerSpec], nesting: &Nesting, which: usize) -> Option<usize> {
    let block = nesting.blocks()[which];
    if blocks::marker(&layers[block.start]) != Some(Marker::Start { scaled: true }) {
        return None;
    }
    let target = nesting.branch_end(which)?;
    // A block nested after it adds what its own scaling says, which this
    // layer's factor cannot set.
    if (target..=block.branch_last()).any(|index| layers[index].kind().is_block_marker()) {
        return None;
    }
    let derived = layers[target]
        .parameters()
        .iter()
        .any(|parameter| parameter.is_branch_scaled() && parameter.is_derived());
    derived.then_some(target)
}

/// The layers as the scaling walks them, and the second moment after each
/// layer walked so far.
struct Tail<'a> {
    layers: &'a mut [LayerSpec],
    around: &'a Around,
    moments: &'a mut Moments,
    seconds: Vec<f64>,
    /// The layer steps taken: what the scaling costs.
    steps: usize,
}

impl Tail<'_> {
    /// Layer `index`'s step from `walk`: the second moment after it.
    fn step(&mut self, walk: &mut Walk, index: usize) -> f64 {
        self.steps += 1;
        let layer = self.layers[index];
        let analysed = self.moments.of(&layer);
        walk.step(&layer, index, self.around, &analysed)
            .0
            .activation_second_moment
    }

    /// The factor on layer `target` that makes the block's output second
    /// moment `1 + ratio` times what the branch is added to (the block's
    /// input, or its shortcut's output), walking from `from`, the walk
    /// before `target`. What the block adds grows like the factor squared
    /// (the branch's second moment) and like the factor (the means'
    /// product); fixed-point steps on the square root of the ratio settle
    /// it, exactly after one where the branch has no mean. 1 where they do
    /// not come within 1%.
    fn branch_scale(&mut self, from: &Walk, block: &Block, target: usize, ratio: f64) -> f64 {
        let layer = self.layers[target];
        let (mut scale, mut settled_to) = (1.0, 1.0);
        // Each step shrinks the error in log scale by half at least where what
        // the block adds grows like the factor to a power between 1 and 2.
        for _ in 0..MAX_STEPS {
            self.layers[target] = layer.with_branch_scale(scale);
            let mut walk = from.clone();
            let (mut skip, mut output) = (self.seconds[block.skip()], 0.0);
            for index in target..=block.end {
                output = self.step(&mut walk, index);
                if index == block.skip() {
                    skip = output;
                }
            }
            let measured = output / skip - 1.0;
            if !(measured.is_finite() && measured > 0.0) {
                return 1.0;
            }
            settled_to = (measured / ratio - 1.0).abs();
            if settled_to < 1e-5 {
                return scale;
            }
            let next = scale * (ratio / measured).sqrt();
            if !SCALES.contains(&next) {
                return 1.0;
            }
            scale = next;
        }
        // Slower than that (a saturating activation after the scaled layer):
        // the last step, from within 1%, is kept.
        if settled_to < 1e-2 {
            scale
        } else {
            1.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::activation::Activation;
    use crate::rules::init::Init;
    use crate::rules::layer::{Conv2dSpec, NormSpec};
    use crate::rules::signal::propagate;

    /// `blocks` residual blocks of width `width`, each branch given by `branch`.
    fn stack(blocks: usize, branch: &[LayerSpec]) -> Vec<LayerSpec> {
        let mut layers = vec![LayerSpec::dense(64, 64, Activation::Relu)];
        for _ in 0..blocks {
            layers.push(LayerSpec::residual());
            layers.extend_from_slice(branch);
            layers.push(LayerSpec::residual_end());
        }
        layers
    }

    #[test]
    fn each_branch_adds_one_bth_of_its_input() {
        let branches = [
            vec![
                LayerSpec::dense(64, 256, Activation::Gelu),
                LayerSpec::dense(256, 64, Activation::Identity),
            ],
            vec![
                LayerSpec::layer_norm(NormSpec::new(64)),
                LayerSpec::dense(64, 64, Activation::Relu),
                LayerSpec::dense(64, 64, Activation::Tanh),
            ],
            vec![
                LayerSpec::dense(64, 64, Activation::Relu),
                LayerSpec::layer_norm(NormSpec::new(64)),
            ],
        ];
        for branch in &branches {
            let layers = scale_branches(&stack(8, branch));
            let signals = propagate(&layers, 1.0);
            for block in Nesting::of(&layers).blocks() {
                let input = signals[block.start].activation_second_moment;
                let added = signals[block.end].activation_second_moment - input;
                // The steps settle to 1e-4.
                assert!(
                    (added / input - 1.0 / 8.0).abs() < 1e-4 / 8.0,
                    "{branch:?}: {}",
                    added / input
                );
            }
            // Eight blocks grow the signal by less than e.
            let last = signals.last().unwrap().forward_cumulative / signals[0].forward_cumulative;
            assert!(last < core::f64::consts::E, "{last}");
        }
    }

    #[test]
    fn a_shortcut_s_output_is_what_the_branch_adds_to() {
        use crate::rules::layer::Padding;
        use crate::rules::shape::Shape;
        // A downsampling block after batch_norm and relu (its input about
        // 1/2), whose shortcut normalizes to about 1: scaled against the
        // block's input, no factor could make the block add 1/3 of it.
        let conv = |inputs, outputs, activation, kernel, stride| {
            LayerSpec::of(
                Conv2dSpec::new(inputs, outputs, activation, kernel)
                    .with_stride(stride)
                    .with_padding(Padding::uniform(kernel[0] / 2))
                    .into(),
            )
            .without_bias()
        };
        let mut layers = vec![
            LayerSpec::input(Shape::image(3, 16, 16)),
            conv(3, 16, Activation::Identity, [3, 3], [1, 1]),
            LayerSpec::batch_norm(NormSpec::new(16)),
            LayerSpec::activation_layer(Activation::Relu),
        ];
        for _ in 0..3 {
            layers.extend([
                LayerSpec::residual(),
                conv(16, 16, Activation::Identity, [3, 3], [1, 1]),
                LayerSpec::batch_norm(NormSpec::new(16)),
                LayerSpec::activation_layer(Activation::Relu),
                conv(16, 16, Activation::Identity, [3, 3], [1, 1]),
                LayerSpec::batch_norm(NormSpec::new(16)),
                LayerSpec::shortcut(),
                conv(16, 16, Activation::Identity, [1, 1], [1, 1]),
                LayerSpec::batch_norm(NormSpec::new(16)),
                LayerSpec::residual_end(),
                LayerSpec::activation_layer(Activation::Relu),
            ]);
        }
        let layers = scale_branches(&layers);
        let signals = propagate(&layers, 1.0);
        let nesting = Nesting::of(&layers);
        for (which, block) in nesting.blocks().iter().enumerate() {
            let scaled = nesting.branch_end(which).unwrap();
            assert!(
                layers[scaled].branch_scale() < 1.0,
                "{}",
                layers[scaled].branch_scale()
            );
            let skip = signals[block.skip()].activation_second_moment;
            let added = signals[block.end].activation_second_moment - skip;
            assert!((added / skip - 1.0 / 3.0).abs() < 1e-4, "{}", added / skip);
        }
    }

    #[test]
    fn a_branch_without_random_weights_is_its_input_s_function() {
        // `residual(layer_norm(64))`: the branch is the skip normalised and
        // scaled by γ, so the two add as one value, (1 + γ)² of it; 64 such
        // blocks grow less than e.
        let layers = scale_branches(&stack(64, &[LayerSpec::layer_norm(NormSpec::new(64))]));
        let gamma = layers[2].branch_scale();
        assert!(
            (gamma - ((1.0 + 1.0 / 64.0_f64).sqrt() - 1.0)).abs() < 1e-3,
            "{gamma}"
        );
        let signals = propagate(&layers, 1.0);
        let growth = signals.last().unwrap().forward_cumulative / signals[0].forward_cumulative;
        assert!(growth < core::f64::consts::E, "{growth}");
    }

    #[test]
    fn the_scaling_s_work_grows_linearly_with_the_blocks() {
        // 96 pre-norm blocks took 37 s to compile when every block's
        // factor ran the analysis again from the first layer. Counted in
        // layer steps (not timed): each block costs the same, whatever
        // comes before it, so 1,000 blocks cost ten times 100 and no more
        // than `MAX_STEPS + 1` walks of every layer.
        let branch = [
            LayerSpec::layer_norm(NormSpec::new(64)),
            LayerSpec::dense(64, 256, Activation::Gelu),
            LayerSpec::dense(256, 64, Activation::Identity),
        ];
        let steps = |blocks: usize| {
            let layers = stack(blocks, &branch);
            let (_, steps) = scale_counting(&layers);
            (layers.len(), steps)
        };
        let (small_layers, small) = steps(100);
        let (large_layers, large) = steps(1000);
        assert!(
            large <= (MAX_STEPS + 1) * large_layers,
            "{large} steps for {large_layers} layers"
        );
        let ratio = large as f64 / small as f64;
        let layers_ratio = large_layers as f64 / small_layers as f64;
        assert!(ratio <= layers_ratio * 1.05, "{ratio} against {layers_ratio}");
    }

    #[test]
    fn written_inits_and_unscaled_blocks_are_kept() {
        let mut layers = stack(
            2,
            &[
                LayerSpec::dense(64, 64, Activation::Relu),
                LayerSpec::dense(64, 64, Activation::Identity).with_weight(Init::zeros()),
            ],
        );
        let scaled = scale_branches(&layers);
        assert!(scaled.iter().all(|layer| layer.branch_scale() == 1.0));
        // The derived init in both blocks, the first one `scale = none`.
        layers[3] = LayerSpec::dense(64, 64, Activation::Identity);
        layers[7] = layers[3];
        layers[1] = LayerSpec::residual_unscaled();
        let scaled = scale_branches(&layers);
        assert_eq!(scaled[3].branch_scale(), 1.0);
        assert!(scaled[7].branch_scale() < 1.0);
    }
}
