//! Specs as DSL text: `Display` of a layer or a network is what one would
//! write in `network![…]` to get it back (see the round-trip tests).

use core::fmt;

use crate::rules::blocks;
use crate::rules::init::Init;
use crate::rules::keywords;
use crate::rules::layer::{LayerKind, LayerSpec, NormSpec, Padding, PoolSpec, DEFAULT_EPSILON};
use crate::rules::levels::{Level, LintLevels};
use crate::rules::network::NetworkSpec;
use crate::rules::number::written;
use crate::rules::shape::Shape;

impl fmt::Display for LayerSpec {
    /// `#[allow(constant_init)] dense(784 -> 256, relu, init = …, bias = …)`:
    /// the init only where it is not the one derived from the activation,
    /// the bias only where it is not zeros; a convolution's stride and
    /// padding only where they are not 1 and 0, a pooling's stride only
    /// where it is not the kernel.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A block's attributes are written on its start (the reader gives
        // them to its end too); a shortcut takes none.
        if !matches!(self.kind(), LayerKind::Shortcut | LayerKind::ResidualEnd) {
            write_lint_attributes(f, &self.lint_levels(), "#[", "] ")?;
        }
        let name = self.kind().name();
        match self.kind() {
            LayerKind::Input(Shape::Features(features)) => return write!(f, "{name}({features})"),
            LayerKind::Input(Shape::Image {
                channels,
                height,
                width,
            }) => return write!(f, "{name}({channels}, {height}, {width})"),
            LayerKind::MaxPool2d(pool) | LayerKind::AvgPool2d(pool) => return write_pool(f, name, pool),
            LayerKind::GlobalAvgPool2d | LayerKind::Flatten => return f.write_str(name),
            LayerKind::Activation(activation) => return write!(f, "{activation}"),
            LayerKind::LayerNorm(norm) | LayerKind::BatchNorm(norm) => return write_norm(f, name, norm),
            // A block's markers are the text around its layers.
            LayerKind::Residual { .. } => return write!(f, "{name}("),
            LayerKind::Shortcut => return write!(f, "{name} = ("),
            LayerKind::ResidualEnd => return f.write_str(")"),
            LayerKind::Dense(_) | LayerKind::Conv2d(_) => {}
        }
        write!(
            f,
            "{name}({} -> {}, {}",
            self.inputs(),
            self.outputs(),
            self.activation()
        )?;
        if let LayerKind::Conv2d(conv) = self.kind() {
            write!(f, ", {} = {}", keywords::KERNEL, Pair(conv.kernel()))?;
            if conv.stride() != [1, 1] {
                write!(f, ", {} = {}", keywords::STRIDE, Pair(conv.stride()))?;
            }
            match conv.padding() {
                Padding::Same => write!(f, ", {} = {}", keywords::PADDING, keywords::SAME)?,
                Padding::Explicit([0, 0]) => {}
                Padding::Explicit(sizes) => write!(f, ", {} = {}", keywords::PADDING, Pair(sizes))?,
            }
        }
        if self.weight() != Init::derived(self.activation()) {
            write!(f, ", {} = {}", keywords::INIT, self.weight())?;
        }
        if !self.has_bias() {
            write!(f, ", {} = {}", keywords::BIAS, keywords::NONE)?;
        } else if self.bias() != Init::zeros() {
            write!(f, ", {} = {}", keywords::BIAS, self.bias())?;
        }
        f.write_str(")")
    }
}

/// `layer_norm(256)`, with `gamma`, `beta` and `epsilon` where they are
/// not the defaults.
fn write_norm(f: &mut fmt::Formatter<'_>, name: &str, norm: &NormSpec) -> fmt::Result {
    write!(f, "{name}({}", norm.features())?;
    if norm.gamma() != Init::ones() {
        write!(f, ", {} = {}", keywords::GAMMA, norm.gamma())?;
    }
    if norm.beta() != Init::zeros() {
        write!(f, ", {} = {}", keywords::BETA, norm.beta())?;
    }
    if norm.epsilon() != DEFAULT_EPSILON {
        write!(f, ", {} = {}", keywords::EPSILON, written(norm.epsilon()))?;
    }
    f.write_str(")")
}

/// `max_pool2d(2)`, `max_pool2d(3, stride = 2)`, `avg_pool2d(2, 3)`.
fn write_pool(f: &mut fmt::Formatter<'_>, name: &str, pool: &PoolSpec) -> fmt::Result {
    let [height, width] = pool.kernel();
    if height == width {
        write!(f, "{name}({height}")?;
    } else {
        write!(f, "{name}({height}, {width}")?;
    }
    if pool.stride() != pool.kernel() {
        write!(f, ", {} = {}", keywords::STRIDE, Pair(pool.stride()))?;
    }
    f.write_str(")")
}

/// `3` for a square pair, `(3, 5)` otherwise.
struct Pair([usize; 2]);

impl fmt::Display for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            [height, width] if height == width => write!(f, "{height}"),
            [height, width] => write!(f, "({height}, {width})"),
        }
    }
}

impl fmt::Display for NetworkSpec {
    /// The network's DSL text: its lint attributes (`#![deny(…)]`), then
    /// one layer per line. For every network whose lints raise no error
    /// (every network `network!` accepts) it parses back to an equal spec;
    /// [`NetworkSpec::summary`] is the table.
    ///
    /// ```
    /// const MNIST: netinit::NetworkSpec = netinit::network![
    ///     #![deny(init_mismatch)]
    ///     dense(784 -> 256, relu),
    ///     dense(256 -> 10, softmax, init = xavier_uniform),
    /// ];
    /// let text = MNIST.to_string();
    /// assert_eq!(
    ///     text,
    ///     "#![deny(init_mismatch)]\ndense(784 -> 256, relu),\ndense(256 -> 10, softmax, init = xavier_uniform)"
    /// );
    /// assert_eq!(text.parse::<netinit::NetworkSpec>()?, MNIST);
    /// # Ok::<(), netinit::dsl::ParseError>(())
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lint_attributes(f, &self.lint_levels(), "#![", "]\n")?;
        let layers = self.layers();
        let depths = blocks::depths(layers);
        // Whether the next layer opens a list (the network's or a block's).
        let mut opening = true;
        for (index, layer) in layers.iter().enumerate() {
            if let LayerKind::ResidualEnd = layer.kind() {
                let block = blocks::block_of(layers, index);
                if block.is_some_and(|block| block.shortcut.is_some()) {
                    f.write_str(")")?;
                }
                let start = block.map(|block| layers[block.start].kind());
                if let Some(LayerKind::Residual { scaled: false }) = start {
                    write!(f, ", {} = {}", keywords::SCALE, keywords::NONE)?;
                }
                f.write_str(")")?;
                opening = false;
                continue;
            }
            if !opening {
                f.write_str(if depths[index] == 0 { ",\n" } else { ", " })?;
            }
            write!(f, "{layer}")?;
            opening = layer.kind().is_block_marker();
        }
        Ok(())
    }
}

/// One attribute per level that is set, naming its lints:
/// `#[allow(constant_init, signal_drift)] `.
fn write_lint_attributes(
    f: &mut fmt::Formatter<'_>,
    lints: &LintLevels,
    open: &str,
    close: &str,
) -> fmt::Result {
    for level in [Level::Allow, Level::Warn, Level::Deny, Level::Forbid] {
        let named: Vec<&str> = lints
            .iter()
            .filter(|(_, set)| *set == level)
            .map(|(lint, _)| lint.name())
            .collect();
        if !named.is_empty() {
            write!(f, "{open}{}({}){close}", level.name(), named.join(", "))?;
        }
    }
    Ok(())
}
