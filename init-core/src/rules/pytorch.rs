//! A network as a PyTorch module: `netinit export --pytorch` prints a small
//! `nn.Module` whose `state_dict` has exactly a checkpoint's names and
//! shapes (`layers.0.weight`, …), so `model.load_state_dict(load_file(path))`
//! works in strict mode. A `ModuleList` holds the layers with parameters,
//! numbered by path; activations, pooling and flatten are functions in
//! `forward`, not modules, so they take no number.

use core::fmt::Write;

use crate::rules::activation::Activation;
use crate::rules::blocks;
use crate::rules::layer::{LayerKind, Padding};
use crate::rules::network::NetworkSpec;
use crate::rules::shape::Shape;

impl NetworkSpec {
    /// The Python source of a PyTorch module for this network, named
    /// `class_name`, whose `state_dict` matches [`Network::save`](crate::Network::save)'s file.
    ///
    /// ```
    /// const MNIST: netinit::NetworkSpec =
    ///     netinit::network![dense(784 -> 256, relu), dense(256 -> 10, softmax)];
    /// let module = MNIST.to_pytorch("Mnist");
    /// assert!(module.contains("class Mnist(nn.Module):"));
    /// assert!(module.contains("nn.Linear(784, 256),"));
    /// assert!(module.contains("x = torch.softmax(self.layers[1](x), dim=-1)"));
    /// ```
    pub fn to_pytorch(&self, class_name: &str) -> String {
        let mut modules = String::new();
        let mut forward = String::new();
        let shapes = self.output_shapes();
        // A residual block keeps its input as `skip{d}` and, with a
        // shortcut, its branch's output as `branch{d}`, `d` counting the
        // blocks it is in, itself included.
        let depths = blocks::depths(self.layers());
        let layers = self.layer_paths().into_iter().zip(self.layers()).zip(shapes);
        for (index, ((path, layer), shape)) in layers.enumerate() {
            // For a block's marker, the `d` of its block (a shortcut sits
            // inside it already, the start and end around it).
            let inner = match layer.kind() {
                LayerKind::Shortcut => depths[index],
                _ => depths[index] + 1,
            };
            let step = match (path, layer.kind()) {
                (Some(path), LayerKind::Dense(dense)) => {
                    let _ = writeln!(
                        modules,
                        "            nn.Linear({}, {}{}),",
                        dense.inputs(),
                        dense.outputs(),
                        no_bias(dense.has_bias())
                    );
                    activation(dense.activation(), &format!("self.layers[{path}](x)"))
                }
                (Some(path), LayerKind::Conv2d(conv)) => {
                    let padding = match conv.padding() {
                        Padding::Same => "'same'".to_owned(),
                        Padding::Explicit(sizes) => pair(sizes),
                    };
                    let _ = writeln!(
                        modules,
                        "            nn.Conv2d({}, {}, kernel_size={}, stride={}, padding={padding}{}),",
                        conv.affine().inputs(),
                        conv.affine().outputs(),
                        pair(conv.kernel()),
                        pair(conv.stride()),
                        no_bias(conv.affine().has_bias())
                    );
                    let affine = format!("self.layers[{path}](x)");
                    match conv.affine().activation() {
                        // netinit's softmax takes a whole row: every channel and position.
                        Activation::Softmax => {
                            format!("torch.softmax({affine}.flatten(1), dim=-1).view(x.shape[0], -1)")
                        }
                        other => activation(other, &affine),
                    }
                }
                (
                    _,
                    LayerKind::Input(Shape::Image {
                        channels,
                        height,
                        width,
                    }),
                ) => {
                    format!("x.reshape(-1, {channels}, {height}, {width})")
                }
                (_, LayerKind::MaxPool2d(pool)) => {
                    format!(
                        "F.max_pool2d(x, {}, stride={})",
                        pair(pool.kernel()),
                        pair(pool.stride())
                    )
                }
                (_, LayerKind::AvgPool2d(pool)) => {
                    format!(
                        "F.avg_pool2d(x, {}, stride={})",
                        pair(pool.kernel()),
                        pair(pool.stride())
                    )
                }
                (_, LayerKind::GlobalAvgPool2d) => "x.mean(dim=(2, 3))".to_owned(),
                (_, LayerKind::Flatten) => "torch.flatten(x, 1)".to_owned(),
                (_, LayerKind::Residual { .. }) => {
                    let _ = writeln!(forward, "        skip{inner} = x");
                    continue;
                }
                (_, LayerKind::Shortcut) => {
                    let _ = writeln!(forward, "        branch{inner} = x");
                    format!("skip{inner}")
                }
                (_, LayerKind::ResidualEnd) => {
                    let block = blocks::block_of(self.layers(), index);
                    match block.is_some_and(|block| block.shortcut.is_some()) {
                        true => format!("branch{inner} + x"),
                        false => format!("x + skip{inner}"),
                    }
                }
                (_, LayerKind::Activation(function)) if *function != Activation::Identity => {
                    activation(*function, "x")
                }
                (Some(path), LayerKind::BatchNorm(norm)) => {
                    // Over the channels of an image, or over features.
                    let dimensions = if matches!(shape, Shape::Image { .. }) {
                        2
                    } else {
                        1
                    };
                    let _ = writeln!(
                        modules,
                        "            nn.BatchNorm{dimensions}d({}, eps={:?}),",
                        norm.features(),
                        norm.epsilon()
                    );
                    format!("self.layers[{path}](x)")
                }
                (Some(path), LayerKind::LayerNorm(norm)) => {
                    let _ = writeln!(
                        modules,
                        "            nn.LayerNorm({}, eps={:?}),",
                        norm.features(),
                        norm.epsilon()
                    );
                    format!("self.layers[{path}](x)")
                }
                _ => continue,
            };
            let _ = writeln!(forward, "        x = {step}");
        }
        let spec = self.to_string().replace('\n', "\n    ");
        format!(
            "import torch\nfrom torch import nn\nfrom torch.nn import functional as F\n\n\n\
             class {class_name}(nn.Module):\n    \
             \"\"\"Generated by `netinit export --pytorch` from:\n\n    {spec}\n    \"\"\"\n\n    \
             def __init__(self):\n        super().__init__()\n        self.layers = nn.ModuleList([\n\
             {modules}        ])\n\n    \
             def forward(self, x):\n{forward}        return x\n"
        )
    }
}

/// `[height, width]` as a Python tuple.
/// `, bias=False` for a layer without biases, so its module has no `bias`.
fn no_bias(has_bias: bool) -> &'static str {
    if has_bias {
        ""
    } else {
        ", bias=False"
    }
}

fn pair([height, width]: [usize; 2]) -> String {
    format!("({height}, {width})")
}

/// `activation` applied to the Python expression `x`, as PyTorch writes it
/// (its GELU is the exact one, its SELU and softplus have netinit's constants).
fn activation(activation: Activation, x: &str) -> String {
    match activation {
        Activation::Identity => x.to_owned(),
        Activation::Relu => format!("torch.relu({x})"),
        Activation::LeakyRelu(alpha) => format!("F.leaky_relu({x}, {alpha:?})"),
        Activation::Elu(alpha) => format!("F.elu({x}, {alpha:?})"),
        Activation::Gelu => format!("F.gelu({x})"),
        Activation::Silu => format!("F.silu({x})"),
        Activation::Selu => format!("torch.selu({x})"),
        Activation::Softplus => format!("F.softplus({x})"),
        Activation::Tanh => format!("torch.tanh({x})"),
        Activation::Sigmoid => format!("torch.sigmoid({x})"),
        Activation::Softmax => format!("torch.softmax({x}, dim=-1)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::layer::{LayerSpec, NormSpec};

    #[test]
    fn a_convolutional_network_has_its_modules_and_its_steps() {
        let spec = NetworkSpec::new(vec![
            LayerSpec::input(Shape::image(1, 28, 28)),
            LayerSpec::conv2d(1, 8, Activation::Relu, [3, 3]).with_padding(Padding::uniform(1)),
            LayerSpec::max_pool2d([2, 2], [2, 2]),
            LayerSpec::batch_norm(NormSpec::new(8)),
            LayerSpec::conv2d(8, 4, Activation::Tanh, [3, 5])
                .with_padding(Padding::Same)
                .without_bias(),
            LayerSpec::avg_pool2d([2, 2], [1, 1]),
            LayerSpec::activation_layer(Activation::LeakyRelu(0.1)),
            LayerSpec::global_avg_pool2d(),
            LayerSpec::dense(4, 10, Activation::Softmax),
        ])
        .unwrap();
        let module = spec.to_pytorch("Cnn");
        for line in [
            "nn.Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)),",
            "nn.BatchNorm2d(8, eps=1e-5),",
            "nn.Conv2d(8, 4, kernel_size=(3, 5), stride=(1, 1), padding='same', bias=False),",
            "nn.Linear(4, 10),",
            "x = x.reshape(-1, 1, 28, 28)",
            "x = torch.relu(self.layers[0](x))",
            "x = F.max_pool2d(x, (2, 2), stride=(2, 2))",
            "x = self.layers[1](x)",
            "x = torch.tanh(self.layers[2](x))",
            "x = F.avg_pool2d(x, (2, 2), stride=(1, 1))",
            "x = F.leaky_relu(x, 0.1)",
            "x = x.mean(dim=(2, 3))",
            "x = torch.softmax(self.layers[3](x), dim=-1)",
        ] {
            assert!(module.contains(line), "{line}\n{module}");
        }
        let normalized = NetworkSpec::new(vec![
            LayerSpec::dense(8, 16, Activation::Relu),
            LayerSpec::layer_norm(NormSpec::new(16).with_epsilon(1e-6)),
            LayerSpec::dense(16, 2, Activation::Softmax),
            LayerSpec::batch_norm(NormSpec::new(2)),
        ])
        .unwrap()
        .to_pytorch("Normalized");
        for line in [
            "nn.LayerNorm(16, eps=1e-6),",
            "nn.BatchNorm1d(2, eps=1e-5),",
            "x = self.layers[1](x)",
            "x = torch.softmax(self.layers[2](x), dim=-1)",
        ] {
            assert!(normalized.contains(line), "{line}\n{normalized}");
        }
        let flattened = NetworkSpec::new(vec![
            LayerSpec::input(Shape::image(2, 4, 4)),
            LayerSpec::flatten(),
            LayerSpec::dense(32, 3, Activation::Softmax),
        ])
        .unwrap();
        assert!(flattened.to_pytorch("Flat").contains("x = torch.flatten(x, 1)"));
    }

    #[test]
    fn every_activation_has_its_pytorch_call_and_every_layer_its_number() {
        let activations = [
            (Activation::Identity, "x = self.layers[0](x)"),
            (Activation::Relu, "torch.relu(self.layers[1](x))"),
            (Activation::LeakyRelu(0.2), "F.leaky_relu(self.layers[2](x), 0.2)"),
            (Activation::Elu(1.0), "F.elu(self.layers[3](x), 1.0)"),
            (Activation::Gelu, "F.gelu(self.layers[4](x))"),
            (Activation::Silu, "F.silu(self.layers[5](x))"),
            (Activation::Selu, "torch.selu(self.layers[6](x))"),
            (Activation::Softplus, "F.softplus(self.layers[7](x))"),
            (Activation::Tanh, "torch.tanh(self.layers[8](x))"),
            (Activation::Sigmoid, "torch.sigmoid(self.layers[9](x))"),
            (Activation::Softmax, "torch.softmax(self.layers[10](x), dim=-1)"),
        ];
        let layers = activations
            .iter()
            .map(|&(activation, _)| LayerSpec::dense(8, 8, activation))
            .collect();
        let module = NetworkSpec::new(layers).unwrap().to_pytorch("Net");
        for (_, call) in activations {
            assert!(module.contains(call), "{call}\n{module}");
        }
        assert_eq!(module.matches("nn.Linear(8, 8),").count(), 11);
    }
}
