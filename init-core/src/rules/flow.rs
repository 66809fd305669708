//! The shapes through a network: what each layer takes and gives, checked
//! layer by layer with the arithmetic spelled out in the errors.

use crate::rules::activation::Activation;
use crate::rules::blocks;
use crate::rules::error::SpecError;
use crate::rules::keywords;
use crate::rules::layer::{LayerKind, LayerSpec};
use crate::rules::network::NetworkSpec;
use crate::rules::shape::Shape;

/// The longest side of a plane [`MAX_PLANE`] allows.
pub const MAX_SIDE: usize = 8192;

/// The most positions a plane may have: 8192 × 8192. The signal analysis
/// follows every position of a plane, at compile time too.
pub const MAX_PLANE: usize = MAX_SIDE * MAX_SIDE;

/// The most values one example may have between two layers (2^31), so
/// that a batch's index arithmetic stays well inside `usize` and `u32`.
pub const MAX_VALUES: usize = 1 << 31;

/// `shape`, or the error for layer `layer` when it is an image too large to
/// handle (a dense layer's width is bounded by its parameter count, and
/// `flatten` of a bounded image is bounded).
fn bounded(layer: usize, shape: Shape) -> Result<Shape, SpecError> {
    let Shape::Image { height, width, .. } = shape else {
        return Ok(shape);
    };
    match (height.checked_mul(width), shape.size()) {
        (Some(plane), Some(size)) if plane <= MAX_PLANE && size <= MAX_VALUES => Ok(shape),
        _ => Err(SpecError::ShapeTooLarge { layer, shape }),
    }
}

/// The shape the network's first layer takes: what `input(…)` declares,
/// else a first dense layer's input width or a first `layer_norm`'s features; `None` when neither says (a
/// network that starts with a spatial layer, which validation refuses).
pub(crate) fn input_shape(layers: &[LayerSpec]) -> Option<Shape> {
    match first_layer(layers).map(|first| layers[first].kind()) {
        Some(LayerKind::Input(shape)) => Some(*shape),
        Some(LayerKind::Dense(dense)) => Some(Shape::Features(dense.inputs())),
        Some(LayerKind::LayerNorm(norm) | LayerKind::BatchNorm(norm)) => {
            Some(Shape::Features(norm.features()))
        }
        _ => None,
    }
}

/// The first layer that is not a residual block's start: the one that
/// takes the network's input.
fn first_layer(layers: &[LayerSpec]) -> Option<usize> {
    layers
        .iter()
        .position(|layer| !matches!(layer.kind(), LayerKind::Residual { .. }))
}

/// The shape every layer gives, first to last (`None` where a mistake
/// left it unknown).
pub(crate) fn shapes(layers: &[LayerSpec]) -> Vec<Option<Shape>> {
    let mut shapes = Vec::with_capacity(layers.len());
    for index in 0..layers.len() {
        let input = shapes.last().copied().unwrap_or_else(|| input_shape(layers));
        let shape = step(layers, index, input, &shapes).ok().flatten();
        shapes.push(shape);
    }
    shapes
}

/// The shape layer `index` gives for an input of shape `input` (`None`
/// where an earlier mistake left it unknown), or the mistake in how it
/// chains to the layer before; `earlier` holds what the layers before it
/// gave, which a residual block's markers take. After a mistake, the shape
/// is known again where the layer alone fixes it (a dense layer's width).
pub(crate) fn step(
    layers: &[LayerSpec],
    index: usize,
    input: Option<Shape>,
    earlier: &[Option<Shape>],
) -> Result<Option<Shape>, SpecError> {
    match unbounded(layers, index, input, earlier)? {
        Some(shape) => bounded(index, shape).map(Some),
        None => Ok(None),
    }
}

/// [`step`] without the bound on the size.
fn unbounded(
    layers: &[LayerSpec],
    index: usize,
    input: Option<Shape>,
    earlier: &[Option<Shape>],
) -> Result<Option<Shape>, SpecError> {
    let layer = &layers[index];
    let given = |at: usize| earlier.get(at).copied().flatten();
    let previous = shaping_layer(layers, index).map(|previous| &layers[previous]);
    let previous_name = previous.map_or("input", |previous| previous.kind().name());
    match *layer.kind() {
        LayerKind::Input(shape) if index == 0 => Ok((!shape.is_empty()).then_some(shape)),
        LayerKind::Input(_) => Err(SpecError::MisplacedInput { layer: index }),
        LayerKind::Residual { .. } => Ok(input),
        LayerKind::Shortcut => Ok(blocks::block_of(layers, index).and_then(|block| given(block.start))),
        LayerKind::ResidualEnd => {
            let Some(block) = blocks::block_of(layers, index) else {
                return Ok(input);
            };
            match (given(block.branch_last()), given(block.skip())) {
                (Some(branch), Some(skip)) if branch != skip => Err(SpecError::ResidualShape {
                    layer: index,
                    branch,
                    skip,
                    shortcut: block.shortcut.is_some(),
                }),
                // Unknown where the branch's shape is: an earlier mistake
                // in it says nothing about the layers after the block.
                (branch, _) => Ok(branch),
            }
        }
        _ if first_layer(layers) == Some(index)
            && input_shape(layers).is_none()
            && (layer.kind().is_spatial() || matches!(layer.kind(), LayerKind::Activation(_))) =>
        {
            Err(SpecError::MissingInput { layer: index })
        }
        LayerKind::Activation(Activation::Softmax) if matches!(input, Some(Shape::Image { .. })) => {
            Err(SpecError::SoftmaxOnImage { layer: index })
        }
        LayerKind::Activation(_) => Ok(input),
        LayerKind::LayerNorm(norm) => {
            let found = norm.features();
            match input {
                Some(Shape::Features(given)) if given != found && given != 0 && found != 0 => {
                    Err(SpecError::NormWidth {
                        layer: index,
                        kind: keywords::LAYER_NORM,
                        unit: "features",
                        given,
                        found,
                        previous: previous_name,
                    })
                }
                Some(given @ Shape::Image { .. }) => Err(SpecError::NormOnImage {
                    layer: index,
                    given,
                    previous: previous_name,
                }),
                _ => Ok(Some(Shape::Features(found))),
            }
        }
        LayerKind::BatchNorm(norm) => {
            // Channels of an image, or features.
            let (given, unit) = match input {
                Some(Shape::Image { channels, .. }) => (channels, "channels"),
                Some(Shape::Features(features)) => (features, "features"),
                None => return Ok(None),
            };
            let found = norm.features();
            if given != found && given != 0 && found != 0 {
                return Err(SpecError::NormWidth {
                    layer: index,
                    kind: keywords::BATCH_NORM,
                    unit,
                    given,
                    found,
                    previous: previous_name,
                });
            }
            Ok(input)
        }
        LayerKind::Dense(dense) => {
            let gives = Shape::Features(dense.outputs());
            let found = dense.inputs();
            match input {
                Some(Shape::Features(expected)) if expected != found && expected != 0 && found != 0 => {
                    Err(match previous.map(LayerSpec::kind) {
                        Some(LayerKind::Dense(_)) => SpecError::ShapeMismatch {
                            layer: index,
                            expected,
                            found,
                        },
                        _ => SpecError::FeatureMismatch {
                            layer: index,
                            given: flattened_from(layers, index).unwrap_or(Shape::Features(expected)),
                            previous: previous_name,
                            found,
                        },
                    })
                }
                Some(given @ Shape::Image { .. }) => Err(SpecError::NeedsFlatten {
                    layer: index,
                    given,
                    previous: previous_name,
                }),
                _ => Ok(Some(gives)),
            }
        }
        LayerKind::Conv2d(conv) => {
            let Some((channels, size)) = image(index, input, previous_name)? else {
                return Ok(None);
            };
            let found = conv.affine().inputs();
            if channels != found && found != 0 && channels != 0 {
                return Err(SpecError::ChannelMismatch {
                    layer: index,
                    expected: channels,
                    found,
                    previous: previous_name,
                });
            }
            let [height, width] = conv.output_size(index, size)?;
            Ok(Some(Shape::image(conv.affine().outputs(), height, width)))
        }
        LayerKind::MaxPool2d(pool) | LayerKind::AvgPool2d(pool) => {
            let Some((channels, size)) = image(index, input, previous_name)? else {
                return Ok(None);
            };
            let [height, width] = pool.output_size(index, size)?;
            Ok(Some(Shape::image(channels, height, width)))
        }
        LayerKind::GlobalAvgPool2d => {
            Ok(image(index, input, previous_name)?.map(|(channels, _)| Shape::Features(channels)))
        }
        LayerKind::Flatten => Ok(input.and_then(|shape| shape.size()).map(Shape::Features)),
    }
}

/// The image a spatial layer takes as `(channels, [height, width])`, or
/// the error for features where an image belongs; `None` when unknown.
fn image(
    layer: usize,
    input: Option<Shape>,
    previous: &'static str,
) -> Result<Option<(usize, [usize; 2])>, SpecError> {
    match input {
        Some(Shape::Image {
            channels,
            height,
            width,
        }) => Ok(Some((channels, [height, width]))),
        Some(Shape::Features(given)) => Err(SpecError::NeedsImage {
            layer,
            given,
            previous,
        }),
        None => Ok(None),
    }
}

/// The last layer before layer `index` that made its input's shape:
/// activations keep the shape they are given, so the messages name the
/// layer before them.
fn shaping_layer(layers: &[LayerSpec], index: usize) -> Option<usize> {
    (0..index)
        .rev()
        .find(|&previous| !matches!(layers[previous].kind(), LayerKind::Activation(_)))
}

/// When layer `index` follows a `flatten`, the image that `flatten` took,
/// for the arithmetic in a message.
fn flattened_from(layers: &[LayerSpec], index: usize) -> Option<Shape> {
    let flatten = shaping_layer(layers, index)?;
    if *layers[flatten].kind() != LayerKind::Flatten {
        return None;
    }
    let input = match flatten {
        0 => input_shape(layers),
        _ => shapes(&layers[..flatten])[flatten - 1],
    };
    input.filter(|shape| matches!(shape, Shape::Image { .. }))
}

impl NetworkSpec {
    /// The shape of one example at the network's input: what `input(…)`
    /// declares, else the first dense layer's width as features.
    ///
    /// ```
    /// use netinit::Shape;
    /// const CNN: netinit::NetworkSpec = netinit::network![
    ///     input(1, 28, 28),
    ///     conv2d(1 -> 8, relu, kernel = 3, padding = 1),
    ///     max_pool2d(2),
    ///     flatten,
    ///     dense(1568 -> 10, softmax),
    /// ];
    /// assert_eq!(CNN.input_shape(), Shape::image(1, 28, 28));
    /// assert_eq!(CNN.output_shapes()[2], Shape::image(8, 14, 14));
    /// assert_eq!(CNN.inputs(), 784);
    /// ```
    pub fn input_shape(&self) -> Shape {
        input_shape(self.layers()).unwrap_or(Shape::Features(0))
    }

    /// The shape each layer gives, first to last (a checked network's
    /// shapes are all known).
    pub fn output_shapes(&self) -> Vec<Shape> {
        shapes(self.layers())
            .into_iter()
            .map(|shape| shape.unwrap_or(Shape::Features(0)))
            .collect()
    }
}
