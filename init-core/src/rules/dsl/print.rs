//! Specs as DSL text: `Display` of a layer or a network is what one would
//! write in `network![…]` to get it back (see the round-trip tests).

use core::fmt;

use crate::rules::init::Init;
use crate::rules::keywords;
use crate::rules::layer::LayerSpec;
use crate::rules::levels::{Level, LintLevels};
use crate::rules::network::NetworkSpec;

impl fmt::Display for LayerSpec {
    /// `#[allow(constant_init)] dense(784 -> 256, relu, init = …, bias = …)`:
    /// the init only where it is not the one derived from the activation,
    /// the bias only where it is not zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lint_attributes(f, &self.lint_levels(), "#[", "] ")?;
        write!(
            f,
            "{}({} -> {}, {}",
            keywords::DENSE,
            self.inputs(),
            self.outputs(),
            self.activation()
        )?;
        if self.weight() != Init::derived(self.activation()) {
            write!(f, ", {} = {}", keywords::INIT, self.weight())?;
        }
        if self.bias() != Init::zeros() {
            write!(f, ", {} = {}", keywords::BIAS, self.bias())?;
        }
        f.write_str(")")
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
        for (index, layer) in self.layers().iter().enumerate() {
            if index > 0 {
                f.write_str(",\n")?;
            }
            write!(f, "{layer}")?;
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
