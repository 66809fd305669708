//! `constant_init`: weights that start constant, and the case no attribute
//! lowers, two constant layers in a row.

use crate::rules::init::Init;
use crate::rules::layer::LayerSpec;
use crate::rules::levels::{Level, Lint};
use crate::rules::lint::Finding;
use crate::rules::part::Part;

pub(crate) fn constant_init(index: usize, layer: &LayerSpec) -> Finding {
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
        message: format!(
            "constant weight init `{}` never breaks symmetry: all {} neurons of this layer compute the same \
             value from the same input and receive the same update, so they stay identical and the layer \
             learns no more than a single neuron",
            layer.weight(),
            layer.outputs()
        ),
        help: format!(
            "draw random weights: {fix}; or add `#[allow(constant_init)]` to this layer if it must start \
             constant (a zero-initialised output head)"
        ),
    }
}

/// A constant is named by the init; a degenerate distribution by its zero scale.
fn constant_part(layer: &LayerSpec) -> Part {
    match layer.weight() {
        Init::Constant { .. } => Part::Weight,
        _ => Part::WeightScale,
    }
}

pub(crate) fn adjacent_constant(index: usize, layer: &LayerSpec) -> Finding {
    Finding {
        lint: Lint::ConstantInit,
        level: Level::Forbid,
        layer: index,
        part: constant_part(layer),
        message: format!(
            "layers {} and {} both start constant: the {} neurons between them have identical incoming and \
             identical outgoing weights, so every update keeps them identical and no training can tell them \
             apart; `#[allow(constant_init)]` cannot lower this",
            index - 1,
            index,
            layer.inputs()
        ),
        help: "give at least one of the two layers random weights, e.g. the init derived from its activation"
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::activation::Activation;
    use crate::rules::init::Init;
    use crate::rules::levels::{Level, Lint};
    use crate::rules::lint::tests::{lints, stack};
    use crate::rules::network::NetworkSpec;

    #[test]
    fn constant_init_is_denied_and_adjacent_constants_forbidden() {
        let mut layers = stack(3, Activation::Relu, Init::he_normal());
        layers[1] = layers[1].with_weight(Init::zeros());
        assert_eq!(lints(&layers), [(Lint::ConstantInit, Level::Deny, 1)]);
        layers[2] = layers[2]
            .with_weight(Init::Uniform { bound: 0.0 })
            .allow_constant_init();
        assert_eq!(
            lints(&layers),
            [
                (Lint::ConstantInit, Level::Deny, 1),
                (Lint::ConstantInit, Level::Deny, 2),
                (Lint::ConstantInit, Level::Forbid, 2)
            ]
        );
        let spec = NetworkSpec::new(layers).unwrap();
        let kept: Vec<_> = spec.lint().iter().map(|d| (d.layer, d.level)).collect();
        assert_eq!(kept, [(1, Level::Deny), (2, Level::Forbid)]);
    }
}
