//! ## `constant_init` — error, deny by default
//!
//! Constant weights (`zeros`, `ones`, `constant(c)`, or a distribution whose
//! every sample rounds to zero in f32, such as `gain = 0`) start every neuron
//! of the layer identical: each computes the same pre-activation and the same
//! activation from the same input. What follows depends on the layer's
//! neighbours, and the message says which case it is:
//!
//! * under a layer with random weights (or random biases), the neurons get
//!   different gradients and drift apart as they train, at a cost in
//!   accuracy: an error by default, which `#[allow(constant_init)]` lowers;
//! * between two constant layers (the lower with constant biases), they also
//!   get the same gradient and the same update at every step, so they stay
//!   tied forever and the layer has the power of one neuron, however wide it
//!   is: an error no attribute lowers;
//! * a layer whose pre-activation is a constant where its activation has
//!   derivative 0 (relu with zero weights and a zero bias) passes no gradient,
//!   so neither it nor any layer below it can ever learn: an error no
//!   attribute lowers either.
//!
//! Biases may start constant: a bias is a per-neuron offset and couples no two
//! neurons. Nor are a normalization's `γ` and `β` weights in this sense
//! (each touches one feature).
//!
//! What each message says was measured (`init_study --part symmetry`: the
//! card's network on Fashion-MNIST, Adam 1e-3, 3 epochs, seed 0): the
//! derived init ends at 0.859 test accuracy with 256 of 256 distinct hidden
//! rows; both layers constant, at 1 of 256 rows (0.100 with zeros, 0.256
//! with constant(0.01)); a constant(0.01) relu hidden layer under a random
//! head, at 256 of 256 rows and 0.832 (tanh with zeros: 0.856); a zero relu
//! layer between random ones never moves, and neither does anything below it.
//! The table is in [the symmetry
//! study](studies.md#constant-weights-start-every-neuron-the-same-the-neighbours-decide-the-rest).
//!
//! ```text
//! error: constant weight init `constant(0.01)` starts all 256 neurons of this layer identical: they compute the same value from the same input, and only the random weights of the layer above (or random biases) pull them apart as they train, at a cost (measured on Fashion-MNIST: a constant(0.01) relu hidden layer under a random head ends 3 epochs at 0.832 test accuracy, the derived init at 0.859)
//!        help: draw random weights: remove `init = …` to get the init derived for `relu` (he_normal fan_in std=0.0505); or add `#[allow(constant_init)]` to this layer if it must start constant (a zero-initialised output head)
//!        note: `#[deny(constant_init)]` is on by default
//!  --> tests/ui/fail/constant_init.rs:4:36
//!   |
//! 4 |     dense(784 -> 256, relu, init = constant(0.01)),
//!   |                                    ^^^^^^^^
//! ```
//!
//! Two adjacent constant layers, and a degenerate distribution, reported at
//! its zero:
//!
//! ```text
//! error: layers 0 and 1 both start constant: the 256 neurons between them have identical incoming weights and biases and identical outgoing weights, so every update keeps them identical and no training can tell them apart; `#[allow(constant_init)]` cannot lower this
//!        help: give at least one of the two layers random weights, e.g. the init derived from its activation
//!   --> tests/ui/fail/constant_init.rs:14:38
//!    |
//! 14 |     dense(256 -> 10, softmax, init = ones),
//!    |                                      ^^^^
//!
//! error: layers 0 and 1 both start constant: the 256 neurons between them have identical incoming weights and biases and identical outgoing weights, so every update keeps them identical and no training can tell them apart; `#[allow(constant_init)]` cannot lower this
//!        help: give at least one of the two layers random weights, e.g. the init derived from its activation
//!   --> tests/ui/fail/constant_init.rs:20:38
//!    |
//! 20 |     dense(256 -> 10, softmax, gain = 0),
//!    |                                      ^
//! ```
//!
//! A relu layer of zero weights and zero bias:
//!
//! ```text
//! error: with zero weights and a bias of 0, this layer's pre-activation is 0 for every input, where `relu` has derivative 0: no gradient passes through it, so neither this layer nor any below it can ever learn; `#[allow(constant_init)]` cannot lower this
//!        help: draw random weights here, or give the biases a value where `relu` grows, e.g. `bias = constant(0.01)`
//!   --> tests/ui/fail/constant_init.rs:28:35
//!    |
//! 28 |     dense(256 -> 10, relu, init = zeros),
//!    |                                   ^^^^^
//! ```
//!
//! The value such a layer gives every input is followed through pooling,
//! `flatten` and activation layers: a relu layer that meets it where its
//! derivative is 0 (tanh of zero weights is 0) is the same error, at the relu;
//! so is a zero relu layer at the end of a residual branch, where relu of zero
//! leaves the branch dead:
//!
//! ```text
//! error: layer 1 starts with zero weights and biases of 0, so what reaches this `relu` is 0 for every input, where it has derivative 0: no gradient passes here, so nothing below it can ever learn; `#[allow(constant_init)]` cannot lower this
//!        help: draw random weights in layer 1, or give its biases a value where `relu` grows, e.g. `bias = constant(0.01)`
//!   --> tests/ui/fail/constant_init.rs:39:5
//!    |
//! 39 |     relu,
//!    |     ^^^^
//!
//! error: with zero weights and a bias of 0, this layer's pre-activation is 0 for every input, where `relu` has derivative 0: no gradient passes through it, so neither this layer nor any below it can ever learn; `#[allow(constant_init)]` cannot lower this
//!        help: draw random weights here, or give the biases a value where `relu` grows, e.g. `bias = constant(0.01)`
//!   --> tests/ui/fail/constant_init.rs:49:70
//!    |
//! 49 |     residual(dense(256 -> 256, relu), dense(256 -> 256, relu, init = zeros)),
//!    |                                                                      ^^^^^
//! ```
//!
//! The same rules hold for `conv2d`, whose output channels are its units: a
//! constant kernel starts every channel the same. Layers without weights
//! between two constant layers untie nothing (a pooling or `flatten` passes
//! identical channels on as identical values), so the neighbours are counted
//! across them (`tests/ui/fail/conv_lints.rs`):
//!
//! ```text
//! error: layers 1 and 4 both start constant: the 8 neurons between them have identical incoming weights and biases and identical outgoing weights, so every update keeps them identical and no training can tell them apart; `#[allow(constant_init)]` cannot lower this
//!        help: give at least one of the two layers random weights, e.g. the init derived from its activation
//!   --> tests/ui/fail/conv_lints.rs:26:39
//!    |
//! 26 |     dense(1352 -> 10, softmax, init = zeros),
//!    |                                       ^^^^^
//! ```
//!
//! A table an embedding looks rows up in, or a position table, that starts
//! constant starts every token (every position) as the same vector: the
//! output cannot tell the ids (the positions) apart at the first step. Each
//! row's gradient gathers the tokens that hold its id (its position),
//! which differ, so the rows separate at the first step: an error by
//! default, which `#[allow(constant_init)]` lowers (measured in
//! `constant_tables_separate_at_the_first_step`, `tests/training.rs`).
//!
//! Attention's four projections share their init. Constant, they start
//! every feature of every projection the same, and each update keeps them
//! so: the queries, keys, values and outputs of a feature have the same
//! incoming and outgoing weights as every other's (at zero, no gradient
//! reaches them at all). An error no attribute lowers
//! (`constant_attention_never_learns`, `tests/training.rs`).
//!
//! **Fixing it.** Remove `init = …` to get the init derived from the
//! activation, or draw any random init. Where a constant start is the point,
//! `#[allow(constant_init)]` on the layer lowers the single-layer case, e.g.
//! for the zero-initialised output head of Fixup or big_vision
//! (`tests/ui/pass/zero_head.rs`); such a layer is left out of the signal
//! analysis. A residual branch's last layer needs no attribute to start at
//! zero where its activation passes gradient there (identity, tanh, gelu, …):
//! that is the ReZero start ([Residual
//! blocks](residual.md#zero-initialised-branch-ends)).

use crate::rules::init::{Draw, Init};
use crate::rules::keywords;
use crate::rules::layer::kind::ConstantInput;
use crate::rules::layer::{LayerSpec, Node};
use crate::rules::levels::{Level, Lint};
use crate::rules::lint::{bias_draw, outputs, weight_draw, Finding};
use crate::rules::parameter::Role;
use crate::rules::part::Part;

/// One constant layer: deny by default, with the truth about what follows.
pub(crate) fn constant_init(index: usize, layer: &LayerSpec, last: bool) -> Finding {
    let derived = Init::derived(layer.activation()).describe(layer.activation(), layer.fans());
    let derived = format!("the init derived for `{}` ({derived})", layer.activation());
    let fix = match layer.weight() {
        Init::Constant { .. } => format!("remove `init = …` to get {derived}"),
        Init::Scaled(_) | Init::Orthogonal { .. } => format!("remove the zero `gain = …` to get {derived}"),
        explicit => format!("give `{explicit}` a scale above zero, or remove `init = …` to get {derived}"),
    };
    let part = constant_part(layer);
    Finding {
        lint: Lint::ConstantInit,
        level: Level::Deny,
        layer: index,
        part,
        message: if last {
            format!(
                "constant weight init `{}` starts all {} outputs of this layer identical: they give the same \
                 value for every input until the loss, which wants each output different, pulls them apart",
                layer.weight(),
                outputs(layer)
            )
        } else {
            format!(
                "constant weight init `{}` starts all {} neurons of this layer identical: they compute the same \
                 value from the same input, and only the random weights of the layer above (or random biases) \
                 pull them apart as they train, at a cost (measured on Fashion-MNIST: a constant(0.01) relu \
                 hidden layer under a random head ends 3 epochs at 0.832 test accuracy, the derived init at 0.859)",
                layer.weight(),
                outputs(layer)
            )
        },
        help: format!(
            "draw random weights: {fix}; or add `#[allow(constant_init)]` to this layer if it must start \
             constant (a zero-initialised output head)"
        ),
    }
}

/// A table (an embedding's, a position table) that starts constant: every
/// token, or every position, starts as the same vector.
pub(crate) fn constant_table(index: usize, layer: &LayerSpec) -> Option<Finding> {
    let table = layer
        .parameters()
        .into_iter()
        .find(|parameter| parameter.role() == Role::Table && parameter.is_constant())?;
    let [rows, _] = table.matrix_shape();
    let (what, gathered) = match layer.kind().name() {
        keywords::POSITION_EMBEDDING => ("position", "the tokens at its position"),
        _ => ("token id", "the tokens that hold its id"),
    };
    Some(Finding {
        lint: Lint::ConstantInit,
        level: Level::Deny,
        layer: index,
        part: constant_part_of(table.init()),
        message: format!(
            "constant table `{}` starts all {rows} rows identical: every {what} starts as the same vector, so the \
             output cannot tell them apart until training pulls the rows apart (each row gathers the gradients of \
             {gathered}, so they separate at the first step)",
            table.init()
        ),
        help: format!(
            "remove `init = …` to draw the rows from `{}`, or add `#[allow(constant_init)]` to this layer if the \
             table must start constant",
            table.derived()
        ),
    })
}

/// A layer of several weight matrices drawn from one init (attention's
/// projections) that starts constant: its features are tied forever.
pub(crate) fn tied_projections(index: usize, layer: &LayerSpec) -> Finding {
    let weights: Vec<&str> = layer
        .parameters()
        .iter()
        .filter(|parameter| parameter.role() == Role::Weights)
        .map(|parameter| parameter.name().trim_end_matches(".weight"))
        .collect();
    let (weight, features) = (layer.weight(), outputs(layer));
    Finding {
        lint: Lint::ConstantInit,
        level: Level::Forbid,
        layer: index,
        part: constant_part(layer),
        message: format!(
            "constant init `{weight}` starts every one of the {features} features of the projections {} the same, with the same \
             incoming and outgoing weights: every update keeps them the same{}, so the layer has the power of one \
             feature however wide it is; `#[allow(constant_init)]` cannot lower this",
            crate::rules::suggest::list(&weights),
            match weight {
                Init::Constant { value: 0.0 } => " (at zero no gradient reaches them at all)",
                _ => "",
            }
        ),
        help: format!(
            "remove `init = …` to draw the projections from the init derived for them ({})",
            Init::derived(layer.activation()).describe(layer.activation(), layer.fans())
        ),
    }
}

/// A constant is named by the init; a degenerate distribution by its zero scale.
fn constant_part(layer: &LayerSpec) -> Part {
    constant_part_of(layer.weight())
}

/// [`constant_part`] of an init.
fn constant_part_of(init: Init) -> Part {
    match init {
        Init::Constant { .. } => Part::Weight,
        _ => Part::WeightScale,
    }
}

/// Two constant layers in a row (layers without weights between them
/// aside), the lower one with constant biases: the units between them are
/// tied forever.
pub(crate) fn adjacent_constant(below: usize, index: usize, lower: &LayerSpec, layer: &LayerSpec) -> Finding {
    Finding {
        lint: Lint::ConstantInit,
        level: Level::Forbid,
        layer: index,
        part: constant_part(layer),
        message: format!(
            "layers {} and {} both start constant: the {} neurons between them have identical incoming weights \
             and biases and identical outgoing weights, so every update keeps them identical and no training \
             can tell them apart; `#[allow(constant_init)]` cannot lower this",
            below,
            index,
            outputs(lower)
        ),
        help: "give at least one of the two layers random weights, e.g. the init derived from its activation"
            .into(),
    }
}

/// Zero weights and a constant bias where the activation's derivative is
/// zero (relu on zero weights and zero bias): the pre-activation is that
/// constant for every input, so no gradient passes, and nothing at or below
/// this layer ever learns.
pub(crate) fn no_gradient(index: usize, layer: &LayerSpec) -> Option<Finding> {
    let zero_weights = match weight_draw(layer) {
        Some(Draw::Constant { value }) => value == 0.0,
        Some(draw) => draw.is_constant_in_f32(),
        None => false,
    };
    let Draw::Constant { value: bias } = bias_draw(layer) else {
        return None;
    };
    if !zero_weights || layer.activation().derivative(bias) != 0.0 {
        return None;
    }
    let activation = layer.activation();
    Some(Finding {
        lint: Lint::ConstantInit,
        level: Level::Forbid,
        layer: index,
        part: constant_part(layer),
        message: format!(
            "with zero weights and a bias of {bias}, this layer's pre-activation is {bias} for every input, where \
             `{activation}` has derivative 0: no gradient passes through it, so neither this layer nor any below it \
             can ever learn; `#[allow(constant_init)]` cannot lower this"
        ),
        help: format!(
            "draw random weights here, or give the biases a value where `{activation}` grows, e.g. \
             `bias = constant(0.01)`"
        ),
    })
}

/// A layer of zero weights and constant biases gives one value for every
/// input; an activation layer after it (across layers that keep a constant
/// constant: pooling, `flatten`, other activations) where that value has
/// derivative 0 passes no gradient, as relu does on the layer's own zero
/// pre-activation.
pub(crate) fn no_gradient_after(index: usize, layers: &[LayerSpec]) -> Option<Finding> {
    let layer = &layers[index];
    let zero_weights = match weight_draw(layer) {
        Some(Draw::Constant { value }) => value == 0.0,
        Some(draw) => draw.is_constant_in_f32(),
        None => false,
    };
    let Draw::Constant { value: bias } = bias_draw(layer) else {
        return None;
    };
    if !zero_weights {
        return None;
    }
    let mut value = layer.activation().value(bias);
    for (at, after) in layers.iter().enumerate().skip(index + 1) {
        let Node::Layer(kind) = after.kind().node() else {
            return None;
        };
        match kind.constant_input(value) {
            ConstantInput::Stops => {
                let activation = kind.activation();
                return Some(Finding {
                    lint: Lint::ConstantInit,
                    level: Level::Forbid,
                    layer: at,
                    part: Part::Layer,
                    message: format!(
                        "layer {index} starts with zero weights and biases of {bias}, so what reaches this \
                         `{activation}` is {value} for every input, where it has derivative 0: no gradient passes \
                         here, so nothing below it can ever learn; `#[allow(constant_init)]` cannot lower this"
                    ),
                    help: format!(
                        "draw random weights in layer {index}, or give its biases a value where `{activation}` \
                         grows, e.g. `bias = constant(0.01)`"
                    ),
                });
            }
            ConstantInput::Gives(next) => value = next,
            ConstantInput::Ends => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::rules::activation::Activation;
    use crate::rules::init::Init;
    use crate::rules::levels::{Level, Lint};
    use crate::rules::lint::tests::{lints, stack};
    use crate::rules::network::NetworkSpec;

    #[test]
    fn a_constant_layer_before_a_block_is_a_hidden_layer() {
        use crate::rules::layer::LayerSpec;
        let layers = [
            LayerSpec::dense(784, 64, Activation::Tanh).with_weight(Init::Constant { value: 0.01 }),
            LayerSpec::residual(),
            LayerSpec::dense(64, 64, Activation::Tanh),
            LayerSpec::residual_end(),
            LayerSpec::dense(64, 10, Activation::Softmax),
        ];
        let finding = crate::rules::lint::check(&layers).remove(0);
        assert!(
            finding.message.contains("neurons of this layer"),
            "{}",
            finding.message
        );
    }

    #[test]
    fn a_zero_branch_end_is_not_tied_to_a_zero_head_across_the_skip() {
        use crate::rules::layer::LayerSpec;
        // The block's end adds its input, which varies, between the two.
        let spec = NetworkSpec::new(vec![
            LayerSpec::dense(784, 64, Activation::Relu),
            LayerSpec::residual(),
            LayerSpec::dense(64, 64, Activation::Relu),
            LayerSpec::dense(64, 64, Activation::Identity).with_weight(Init::zeros()),
            LayerSpec::residual_end(),
            LayerSpec::dense(64, 10, Activation::Softmax)
                .with_weight(Init::zeros())
                .allow_constant_init(),
        ])
        .unwrap();
        assert!(spec.lint().is_empty(), "{:?}", spec.lint());
    }

    #[test]
    fn a_constant_layer_s_value_is_followed_to_an_activation_that_passes_no_gradient() {
        use crate::rules::layer::LayerSpec;
        use crate::rules::shape::Shape;
        // tanh(0) = 0 reaches a relu through flatten: dead. Through sigmoid
        // (σ(0) = 1/2, where relu grows) it is not.
        let dead = [
            LayerSpec::input(Shape::image(1, 4, 4)),
            LayerSpec::conv2d(1, 2, Activation::Tanh, [3, 3])
                .with_weight(Init::zeros())
                .allow_constant_init(),
            LayerSpec::flatten(),
            LayerSpec::activation_layer(Activation::Relu),
            LayerSpec::dense(8, 2, Activation::Softmax),
        ];
        assert_eq!(lints(&dead), [(Lint::ConstantInit, Level::Forbid, 3)]);
        let mut alive = dead.to_vec();
        alive.insert(3, LayerSpec::activation_layer(Activation::Sigmoid));
        assert_eq!(lints(&alive), [(Lint::ConstantInit, Level::Deny, 1)]);
    }

    #[test]
    fn constant_init_is_denied_and_adjacent_constants_forbidden() {
        let mut layers = stack(3, Activation::Tanh, Init::xavier_normal());
        layers[1] = layers[1].with_weight(Init::zeros());
        assert_eq!(lints(&layers), [(Lint::ConstantInit, Level::Deny, 1)]);
        layers[2] = layers[2]
            .with_weight(Init::Uniform { bound: 0.0 })
            .allow_constant_init();
        // Tied: the one error says so; the general message would contradict it.
        assert_eq!(lints(&layers), [(Lint::ConstantInit, Level::Forbid, 2)]);
        let spec = NetworkSpec::new(layers.clone()).unwrap();
        let kept: Vec<_> = spec.lint().iter().map(|d| (d.layer, d.level)).collect();
        assert_eq!(kept, [(2, Level::Forbid)]);
        // Random biases below make the neurons between differ: not tied.
        layers[1] = layers[1].with_bias(Init::Normal { std: 0.1 });
        assert_eq!(
            lints(&layers),
            [
                (Lint::ConstantInit, Level::Deny, 1),
                (Lint::ConstantInit, Level::Deny, 2)
            ]
        );
    }

    #[test]
    fn a_relu_layer_with_zero_weights_and_bias_passes_no_gradient() {
        let mut layers = stack(3, Activation::Relu, Init::he_normal());
        layers[1] = layers[1].with_weight(Init::zeros()).allow_constant_init();
        assert_eq!(lints(&layers), [(Lint::ConstantInit, Level::Forbid, 1)]);
        // A bias where relu grows lets the gradient through.
        layers[1] = layers[1].with_bias(Init::Constant { value: 0.01 });
        assert_eq!(lints(&layers), [(Lint::ConstantInit, Level::Deny, 1)]);
        // Identity passes every gradient.
        let head = stack(1, Activation::Identity, Init::zeros());
        assert_eq!(lints(&head), [(Lint::ConstantInit, Level::Deny, 0)]);
    }
}
