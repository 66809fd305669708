//! The summary table of a network, in the manner of Keras' `model.summary()`.

use core::fmt;

use crate::rules::blocks;
use crate::rules::keywords;
use crate::rules::layer::LayerKind;
use crate::rules::network::NetworkSpec;

/// A summary table of a network in the manner of Keras' `model.summary()`:
/// see [`NetworkSpec::summary`].
#[derive(Clone, Copy, Debug)]
pub struct Summary<'a> {
    spec: &'a NetworkSpec,
}

impl NetworkSpec {
    /// A table of the layers with their shapes, activations, resolved inits
    /// and parameter counts, like Keras' `model.summary()`; `Display` prints it.
    ///
    /// ```
    /// const MNIST: netinit::NetworkSpec =
    ///     netinit::network![dense(784 -> 256, relu), dense(256 -> 10, softmax)];
    /// let table = MNIST.summary().to_string();
    /// assert!(table.contains("he_normal fan_in std=0.0505"));
    /// assert!(table.ends_with("Total params: 203,530"));
    /// ```
    pub fn summary(&self) -> Summary<'_> {
        Summary { spec: self }
    }
}

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let spec = self.spec;
        let header = [
            "Path",
            "Layer",
            "Shape",
            "Activation",
            "Weight init",
            "Bias init",
            "Params",
        ];
        let mut input = spec.input_shape();
        let depths = blocks::depths(spec.layers());
        let rows: Vec<[String; 7]> = spec
            .layer_paths()
            .iter()
            .zip(spec.layers())
            .zip(spec.output_shapes())
            .zip(depths)
            .map(|(((path, layer), output), depth)| {
                let (activation, fans) = (layer.activation(), layer.fans());
                let shape = match layer.kind() {
                    LayerKind::Shortcut => format!("{output}"),
                    _ => format!("{input} -> {output}"),
                };
                input = output;
                // A block's layers are indented under its `residual`.
                let name = match layer.kind() {
                    LayerKind::ResidualEnd => "+ (residual end)".to_owned(),
                    kind => format!("{}{}", "  ".repeat(depth), kind.name()),
                };
                // The derived branch scaling, on the layer it scales.
                let scaled = match layer.branch_scale() {
                    1.0 => String::new(),
                    scale => format!(" × {scale:.4} (branch)"),
                };
                // A normalization's γ and β show as its weight and bias inits.
                let weighted = layer.affine().is_some() || layer.norm().is_some();
                let cell = |text: String| if weighted { text } else { String::new() };
                let activation_cell = match layer.kind() {
                    LayerKind::Activation(own) => own.to_string(),
                    LayerKind::LayerNorm(_) | LayerKind::BatchNorm(_) => String::new(),
                    _ => cell(activation.to_string()),
                };
                [
                    path.as_ref().map(ToString::to_string).unwrap_or_default(),
                    name,
                    shape,
                    activation_cell,
                    cell(format!("{}{scaled}", layer.weight().describe(activation, fans))),
                    cell(match layer.has_bias() {
                        true => layer.bias().describe(activation, fans),
                        false => keywords::NONE.to_owned(),
                    }),
                    group_digits(layer.parameter_count().unwrap_or(usize::MAX)),
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, cells: [&str; 7]| -> fmt::Result {
            for (column, cell) in cells.iter().enumerate() {
                if column == 6 {
                    writeln!(f, "{cell:>width$}", width = widths[column])?;
                } else {
                    write!(f, "{cell:<width$}  ", width = widths[column])?;
                }
            }
            Ok(())
        };
        let rule = "=".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1));
        line(f, header)?;
        writeln!(f, "{rule}")?;
        for row in &rows {
            line(f, [&row[0], &row[1], &row[2], &row[3], &row[4], &row[5], &row[6]])?;
        }
        writeln!(f, "{rule}")?;
        write!(f, "Total params: {}", group_digits(spec.parameter_count()))
    }
}

/// `203530` as `203,530`.
fn group_digits(value: usize) -> String {
    let digits = value.to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::layer::tests::card;

    #[test]
    fn the_summary_names_every_layer_and_the_total() {
        let summary = NetworkSpec::new(card()).unwrap().summary().to_string();
        assert!(summary.contains("0     dense  784 -> 256"), "{summary}");
        assert!(summary.contains("he_normal fan_in std=0.0505"), "{summary}");
        assert!(summary.contains("xavier_normal fan_avg std=0.0867"), "{summary}");
        assert!(summary.contains("200,960"), "{summary}");
        assert!(summary.ends_with("Total params: 203,530"), "{summary}");
    }
}
