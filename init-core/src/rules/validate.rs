//! The checks every network description passes: one checker for the macro, the DSL at run time and
//! [`NetworkSpec::new`](crate::NetworkSpec::new).

use crate::rules::activation::Activation;
use crate::rules::blocks;
use crate::rules::error::{ChainError, SizeError, SpecError, StructureError};
use crate::rules::flow;
use crate::rules::init::Init;
use crate::rules::layer::LayerSpec;
use crate::rules::levels::{Level, LintLevels};
use crate::rules::limits::MAX_PARAMETERS;
use crate::rules::parameter::trained_count;

/// Every mistake in these layers under the network's lint levels, in order
/// (empty when they are usable): each layer's own sizes, then how its shape
/// chains to the one before, the parameter count, its inits and its lint
/// levels.
///
/// The `network!` macro runs this at compile time;
/// [`NetworkSpec::new`](crate::NetworkSpec::new) at run time.
pub fn validate(layers: &[LayerSpec], network_lints: &LintLevels) -> Vec<SpecError> {
    let mut errors = Vec::new();
    if layers.is_empty() {
        errors.push(SpecError::Structure(StructureError::Empty));
    }
    blocks::structure_errors(layers, &mut errors);
    let mut total: Option<usize> = Some(0);
    let mut shapes = Vec::with_capacity(layers.len());
    // The last layer that made a shape, and the last that did more than
    // reshape: carried along, so that no layer looks back over a run.
    let (mut shaping, mut computing) = (None, None);
    for (index, layer) in layers.iter().enumerate() {
        let shape = shapes
            .last()
            .copied()
            .unwrap_or_else(|| flow::input_shape(layers));
        let before = errors.len();
        let kind = layer.kind().rules();
        if let Some(kind) = kind {
            kind.size_errors(index, &mut errors);
        }
        // A layer whose own sizes are wrong is not also checked against its
        // input; what it gives is still known where it alone fixes that.
        let own = errors.len() > before;
        let next = match flow::step(layers, index, if own { None } else { shape }, &shapes, shaping) {
            Ok(next) => next,
            Err(error) => {
                if !own {
                    errors.push(error);
                }
                None
            }
        };
        shapes.push(next);
        let parameters = layer.parameters();
        let count = trained_count(&parameters).filter(|&count| count <= MAX_PARAMETERS);
        let running = total
            .and_then(|sum| count.and_then(|count| sum.checked_add(count)))
            .filter(|&sum| sum <= MAX_PARAMETERS);
        if running.is_none() && total.is_some() {
            errors.push(SpecError::Size(SizeError::TooManyParameters {
                layer: index,
                tensors: parameters
                    .iter()
                    .filter(|parameter| parameter.trained())
                    .map(|parameter| (parameter.name(), parameter.shape().to_vec()))
                    .collect(),
            }));
        }
        total = running;
        if let Some(kind) = kind {
            kind.init_errors(index, &parameters, &mut errors);
        }
        errors.extend(computing.and_then(|previous| unfused_activation(layers, index, previous)));
        shaping = flow::shaping(layers, index, shaping);
        if kind.is_none_or(|kind| !kind.properties().reshapes_only) {
            computing = Some(index);
        }
        for (lint, level) in layer.lint_levels().iter() {
            if network_lints.get(lint) == Some(Level::Forbid) && level != Level::Forbid {
                errors.push(SpecError::Structure(StructureError::LintForbidden {
                    layer: index,
                    lint,
                    level,
                }));
            }
        }
    }
    errors
}

/// An activation layer right after a layer with weights whose activation
/// is the identity (`flatten`, which passes the values on unchanged, may
/// be between them): that layer's activation written apart, so its init
/// would be derived for the identity. Only where naming the activation in
/// the layer would change its derived init: not for tanh, sigmoid or
/// softmax, whose init is the identity's. `previous` is the last layer
/// before layer `index` that does more than reshape.
fn unfused_activation(layers: &[LayerSpec], index: usize, previous: usize) -> Option<SpecError> {
    let kind = layers[index].kind().rules()?;
    let previous = &layers[previous];
    let weights = previous.weights()?;
    let activation = kind.activation();
    let differs = Init::derived(activation).draw(activation, weights.fans())
        != Init::derived(Activation::Identity).draw(Activation::Identity, weights.fans());
    (kind.properties().element_wise && previous.activation() == Activation::Identity && differs).then(|| {
        SpecError::Chain(ChainError::UnfusedActivation {
            layer: index,
            activation,
            previous: previous.kind().name(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::error::InitError;
    use crate::rules::layer::tests::card;
    use crate::rules::part::Part;
    use crate::rules::shape::Shape;

    #[test]
    fn activation_layers_keep_the_shape_and_name_the_layer_before_them() {
        let relu = LayerSpec::activation_layer(Activation::Relu);
        let ok = [
            LayerSpec::input(Shape::image(1, 4, 4)),
            LayerSpec::max_pool2d([2, 2], [2, 2]),
            relu,
            LayerSpec::flatten(),
            relu,
            LayerSpec::dense(4, 3, Activation::Softmax),
        ];
        assert_eq!(validate(&ok, &LintLevels::NONE), []);
        let mut wrong = ok.to_vec();
        wrong[5] = LayerSpec::dense(5, 3, Activation::Softmax);
        assert_eq!(
            validate(&wrong, &LintLevels::NONE),
            [SpecError::Chain(ChainError::FeatureMismatch {
                layer: 5,
                given: Shape::image(1, 2, 2),
                previous: "flatten",
                found: 5
            })]
        );
        assert_eq!(
            validate(
                &[relu, LayerSpec::dense(4, 3, Activation::Softmax)],
                &LintLevels::NONE
            ),
            [SpecError::Structure(StructureError::MissingInput { layer: 0 })]
        );
        let softmax_on_image = [
            LayerSpec::input(Shape::image(1, 4, 4)),
            LayerSpec::activation_layer(Activation::Softmax),
        ];
        assert_eq!(
            validate(&softmax_on_image, &LintLevels::NONE),
            [SpecError::Chain(ChainError::SoftmaxOnImage { layer: 1 })]
        );
        let through_flatten = [
            LayerSpec::input(Shape::image(1, 4, 4)),
            LayerSpec::conv2d(1, 2, Activation::Identity, [3, 3]),
            LayerSpec::flatten(),
            LayerSpec::activation_layer(Activation::Gelu),
        ];
        assert_eq!(
            validate(&through_flatten, &LintLevels::NONE),
            [SpecError::Chain(ChainError::UnfusedActivation {
                layer: 3,
                activation: Activation::Gelu,
                previous: "conv2d"
            })]
        );
        // Logits then softmax (or tanh, sigmoid): the derived init is the
        // identity's either way, so the spelling is free.
        for same_init in [Activation::Softmax, Activation::Tanh, Activation::Sigmoid] {
            let logits = [
                LayerSpec::dense(4, 4, Activation::Identity),
                LayerSpec::activation_layer(same_init),
            ];
            assert_eq!(validate(&logits, &LintLevels::NONE), []);
        }
        let unfused = [LayerSpec::dense(4, 4, Activation::Identity), relu];
        assert_eq!(
            validate(&unfused, &LintLevels::NONE),
            [SpecError::Chain(ChainError::UnfusedActivation {
                layer: 1,
                activation: Activation::Relu,
                previous: "dense"
            })]
        );
        let bad_alpha = [
            LayerSpec::input(Shape::Features(4)),
            LayerSpec::activation_layer(Activation::LeakyRelu(-0.5)),
        ];
        assert_eq!(
            validate(&bad_alpha, &LintLevels::NONE),
            [SpecError::Init(InitError::InvalidActivationParameter {
                layer: 1,
                value: -0.5
            })]
        );
    }

    #[test]
    fn the_card_network_is_valid() {
        assert!(validate(&card(), &LintLevels::NONE).is_empty());
    }

    #[test]
    fn every_mistake_is_reported() {
        let layers = vec![
            LayerSpec::dense(0, 256, Activation::LeakyRelu(f64::NAN)),
            LayerSpec::dense(100, 10, Activation::Softmax)
                .with_weight(Init::Normal { std: -1.0 })
                .with_bias(Init::Orthogonal { gain: None }),
        ];
        let errors = validate(&layers, &LintLevels::NONE);
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert_eq!(
            errors[0],
            SpecError::Size(SizeError::ZeroWidth {
                layer: 0,
                part: Part::Inputs
            })
        );
        assert!(matches!(
            errors[1],
            SpecError::Init(InitError::InvalidActivationParameter { layer: 0, .. })
        ));
        assert_eq!(
            errors[2],
            SpecError::Chain(ChainError::ShapeMismatch {
                layer: 1,
                expected: 256,
                found: 100
            })
        );
        assert_eq!(
            errors[3],
            SpecError::Init(InitError::InvalidScale {
                layer: 1,
                part: Part::WeightScale,
                what: "std",
                value: -1.0
            })
        );
        assert_eq!(errors[4], SpecError::Init(InitError::OrthogonalBias { layer: 1 }));
        assert_eq!(
            validate(&[], &LintLevels::NONE),
            vec![SpecError::Structure(StructureError::Empty)]
        );
    }

    #[test]
    fn overflowing_parameter_counts_are_refused() {
        let layers = [LayerSpec::dense(usize::MAX / 2, 4, Activation::Relu)];
        assert_eq!(
            validate(&layers, &LintLevels::NONE),
            vec![SpecError::Size(SizeError::TooManyParameters {
                layer: 0,
                tensors: vec![("weight", vec![4, usize::MAX / 2]), ("bias", vec![4])]
            })]
        );
    }
}
