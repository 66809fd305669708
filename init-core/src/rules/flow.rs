//! The shapes through a network: what each layer takes and gives, checked
//! layer by layer with the arithmetic spelled out in the errors. Each kind
//! says what it gives for what it is given ([`Kind::output`]); here are the
//! walk, a residual block's markers, and the bound on what any layer gives.

use crate::rules::blocks;
use crate::rules::error::{ChainError, SizeError, SpecError, StructureError};
use crate::rules::layer::kind::Given;
use crate::rules::layer::{LayerSpec, Marker, Node};
use crate::rules::limits::{MAX_PLANE, MAX_VALUES};
use crate::rules::shape::Shape;

/// `shape`, or the error for layer `layer` when it is too large to handle:
/// an image's plane or values, a sequence's values or token ids past the
/// bounds (a dense layer's width is bounded by its parameter count, and
/// `flatten` of a bounded image is bounded).
fn bounded(layer: usize, shape: Shape) -> Result<Shape, SpecError> {
    let fits = match shape {
        Shape::Image { height, width, .. } => height
            .checked_mul(width)
            .is_some_and(|plane| plane <= MAX_PLANE && shape.size().is_some_and(|size| size <= MAX_VALUES)),
        Shape::Sequence { .. } | Shape::Tokens(_) => shape.size().is_some_and(|size| size <= MAX_VALUES),
        Shape::Features(_) => true,
    };
    match fits {
        true => Ok(shape),
        false => Err(SpecError::Size(SizeError::ShapeTooLarge { layer, shape })),
    }
}

/// The shape the network's first layer takes: what its own sizes say
/// (`input(…)`, a first dense layer's input width, a first
/// normalization's features); `None` when they say nothing (a network that
/// starts with a spatial layer, which validation refuses).
pub(crate) fn input_shape(layers: &[LayerSpec]) -> Option<Shape> {
    layers
        .get(first_layer(layers)?)?
        .kind()
        .rules()
        .and_then(|kind| kind.implied_input())
}

/// The first layer that is not a residual block's start: the one that
/// takes the network's input.
fn first_layer(layers: &[LayerSpec]) -> Option<usize> {
    layers
        .iter()
        .position(|layer| !matches!(blocks::marker(layer), Some(Marker::Start { .. })))
}

/// The shape every layer gives, first to last (`None` where a mistake
/// left it unknown).
pub(crate) fn shapes(layers: &[LayerSpec]) -> Vec<Option<Shape>> {
    let mut shapes = Vec::with_capacity(layers.len());
    let mut previous = None;
    for index in 0..layers.len() {
        let input = shapes.last().copied().unwrap_or_else(|| input_shape(layers));
        let shape = step(layers, index, input, &shapes, previous).ok().flatten();
        shapes.push(shape);
        previous = shaping(layers, index, previous);
    }
    shapes
}

/// The last layer up to layer `index` that made its output's shape, given
/// `previous`, the last one before it: activations keep the shape they
/// are given, so the messages name the layer before them. Carried along
/// the walk, so that no layer looks back over a run of activations.
pub(crate) fn shaping(layers: &[LayerSpec], index: usize, previous: Option<usize>) -> Option<usize> {
    let element_wise = layers[index]
        .kind()
        .rules()
        .is_some_and(|kind| kind.properties().element_wise);
    if element_wise {
        previous
    } else {
        Some(index)
    }
}

/// The shape layer `index` gives for an input of shape `input` (`None`
/// where an earlier mistake left it unknown), or the mistake in how it
/// chains to the layer before; `earlier` holds what the layers before it
/// gave, which a residual block's markers take, and `previous` is the last
/// layer before it that made its input's shape (see [`shaping`]). After a mistake, the shape
/// is known again where the layer alone fixes it (a dense layer's width).
pub(crate) fn step(
    layers: &[LayerSpec],
    index: usize,
    input: Option<Shape>,
    earlier: &[Option<Shape>],
    previous: Option<usize>,
) -> Result<Option<Shape>, SpecError> {
    let given = |at: usize| earlier.get(at).copied().flatten();
    let shape = match layers[index].kind().node() {
        Node::Marker(Marker::Start { .. }) => Ok(input),
        Node::Marker(Marker::Shortcut) => {
            Ok(blocks::block_of(layers, index).and_then(|block| given(block.start)))
        }
        Node::Marker(Marker::End) => {
            let Some(block) = blocks::block_of(layers, index) else {
                return Ok(input);
            };
            match (given(block.branch_last()), given(block.skip())) {
                (Some(branch), Some(skip)) if branch != skip => {
                    Err(SpecError::Chain(ChainError::ResidualShape {
                        layer: index,
                        branch,
                        skip,
                        shortcut: block.shortcut.is_some(),
                    }))
                }
                // Unknown where the branch's shape is: an earlier mistake
                // in it says nothing about the layers after the block.
                (branch, _) => Ok(branch),
            }
        }
        Node::Layer(kind)
            if first_layer(layers) == Some(index)
                && input_shape(layers).is_none()
                && kind.properties().needs_input =>
        {
            Err(SpecError::Structure(StructureError::MissingInput {
                layer: index,
            }))
        }
        Node::Layer(kind) => kind.output(&given_to(layers, index, input, earlier, previous)),
    }?;
    shape.map(|shape| bounded(index, shape)).transpose()
}

/// What layer `index` is given: `input`, and the layer that made its
/// shape, `previous`.
fn given_to(
    layers: &[LayerSpec],
    index: usize,
    input: Option<Shape>,
    earlier: &[Option<Shape>],
    previous: Option<usize>,
) -> Given {
    let kind = previous.and_then(|previous| layers[previous].kind().rules());
    let flattened = match (previous, kind) {
        (Some(at), Some(kind)) if kind.properties().reshapes_only => {
            let before = match at {
                0 => input_shape(layers),
                _ => earlier.get(at - 1).copied().flatten(),
            };
            before.filter(|shape| matches!(shape, Shape::Image { .. }))
        }
        _ => None,
    };
    Given {
        layer: index,
        shape: input,
        previous: previous.map_or("input", |previous| layers[previous].kind().name()),
        previous_writes_outputs: kind.is_some_and(|kind| kind.properties().writes_outputs),
        flattened,
    }
}
