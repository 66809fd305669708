//! The summary table of a network, in the manner of Keras'
//! `model.summary()`: a row per layer, and a row per tensor it holds, with
//! the tensor's resolved init and its count.

use core::fmt;

use crate::rules::blocks;
use crate::rules::layer::{LayerSpec, Marker, Node};
use crate::rules::path::LayerPath;
use crate::rules::shape::Shape;

/// A summary table of a network: see [`NetworkSpec::summary`](crate::NetworkSpec::summary).
#[derive(Clone, Debug)]
pub struct Summary<'a> {
    layers: &'a [LayerSpec],
    paths: Vec<Option<LayerPath>>,
    input: Shape,
    outputs: Vec<Shape>,
    total: usize,
}

impl<'a> Summary<'a> {
    /// The table of `layers`, at `paths`, taking `input` and giving `outputs`.
    pub(crate) fn new(
        layers: &'a [LayerSpec],
        paths: Vec<Option<LayerPath>>,
        input: Shape,
        outputs: Vec<Shape>,
        total: usize,
    ) -> Summary<'a> {
        Summary {
            layers,
            paths,
            input,
            outputs,
            total,
        }
    }

    /// The rows: a layer's (path, name, shape, activation) and its first
    /// tensor, then one row for each further tensor.
    fn rows(&self) -> Vec<[String; 7]> {
        let mut input = self.input;
        let depths = blocks::depths(self.layers);
        let mut rows = Vec::new();
        for (((path, layer), &output), depth) in
            self.paths.iter().zip(self.layers).zip(&self.outputs).zip(depths)
        {
            let shape = match blocks::marker(layer) {
                Some(Marker::Shortcut) => format!("{output}"),
                _ => format!("{input} -> {output}"),
            };
            input = output;
            // A block's layers are indented under its `residual`.
            let name = match layer.kind().node() {
                Node::Marker(Marker::End) => "+ (residual end)".to_owned(),
                _ => format!("{}{}", "  ".repeat(depth), layer.kind().name()),
            };
            let activation = match layer.kind().node() {
                Node::Layer(kind)
                    if !kind.properties().normalizes
                        && (kind.properties().element_wise || layer.weights().is_some()) =>
                {
                    kind.activation().to_string()
                }
                _ => String::new(),
            };
            let path = path.as_ref().map(ToString::to_string).unwrap_or_default();
            let mut tensors = layer.parameters().into_iter().map(|parameter| {
                let count = match parameter.trained() {
                    true => group_digits(parameter.count().unwrap_or(usize::MAX)),
                    false => "(buffer)".to_owned(),
                };
                [parameter.name().to_owned(), parameter.describe(), count]
            });
            let [tensor, init, count] = tensors
                .next()
                .unwrap_or_else(|| [String::new(), String::new(), "0".to_owned()]);
            rows.push([path, name, shape, activation, tensor, init, count]);
            for [tensor, init, count] in tensors {
                rows.push([
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    tensor,
                    init,
                    count,
                ]);
            }
        }
        rows
    }
}

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header = ["Path", "Layer", "Shape", "Activation", "Tensor", "Init", "Params"];
        let rows = self.rows();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, cells: [&str; 7]| -> fmt::Result {
            let mut text = String::new();
            for (column, cell) in cells.iter().enumerate() {
                if column == 6 {
                    text.push_str(&format!("{cell:>width$}", width = widths[column]));
                } else {
                    text.push_str(&format!("{cell:<width$}  ", width = widths[column]));
                }
            }
            writeln!(f, "{}", text.trim_end())
        };
        let rule = "=".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1));
        line(f, header)?;
        writeln!(f, "{rule}")?;
        for row in &rows {
            line(f, [&row[0], &row[1], &row[2], &row[3], &row[4], &row[5], &row[6]])?;
        }
        writeln!(f, "{rule}")?;
        write!(f, "Total params: {}", group_digits(self.total))
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
    use crate::rules::layer::tests::card;
    use crate::rules::network::NetworkSpec;

    #[test]
    fn the_summary_names_every_layer_tensor_and_the_total() {
        let summary = NetworkSpec::new(card()).unwrap().summary().to_string();
        assert!(summary.contains("0     dense  784 -> 256"), "{summary}");
        assert!(
            summary.contains("weight  he_normal fan_in std=0.0505"),
            "{summary}"
        );
        assert!(summary.contains("xavier_normal fan_avg std=0.0867"), "{summary}");
        assert!(summary.contains("200,704"), "{summary}");
        assert!(summary.contains("bias    zeros"), "{summary}");
        assert!(summary.ends_with("Total params: 203,530"), "{summary}");
    }
}
