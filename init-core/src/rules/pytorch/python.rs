//! What a layer kind writes of a PyTorch module (see the module's doc in
//! `pytorch/mod.rs`): its entry in the `ModuleList` and its step of
//! `forward`, and the Python the kinds share.

use crate::rules::activation::Activation;
use crate::rules::path::LayerPath;
use crate::rules::shape::Shape;

/// Where a layer stands in the module being written.
#[derive(Clone, Copy, Debug)]
pub struct Export<'a> {
    /// Its path among the layers with parameters (its `ModuleList` index), if it has any.
    pub path: Option<&'a LayerPath>,
    /// The shape it gives.
    pub output: Shape,
    /// Whether its softmax is left out of `forward`: the network's last
    /// softmax, so that `forward` returns logits, as PyTorch's losses take.
    pub logits: bool,
}

impl Export<'_> {
    /// `activation` applied to `x`, as [`activation`] writes it; `x` alone
    /// for the softmax [`Export::logits`] leaves out.
    pub fn activation(&self, activation: Activation, x: &str) -> String {
        match (activation, self.logits) {
            (Activation::Softmax, true) => x.to_owned(),
            _ => self::activation(activation, x),
        }
    }

    /// `self.layers[3](x)`: the layer's module applied to `x`.
    pub fn module_call(&self) -> String {
        match self.path {
            Some(path) => format!("self.layers[{path}](x)"),
            None => "x".to_owned(),
        }
    }
}

/// A layer in PyTorch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Python {
    /// Its module in the `ModuleList` (`nn.Linear(784, 256)`), if it has parameters.
    pub module: Option<String>,
    /// Its step of `forward`, an expression of `x`; `None` where it leaves `x` as it is.
    pub step: Option<String>,
    /// A class of netinit's its module is (a position table, attention),
    /// written once before the network's.
    pub definition: Option<&'static str>,
}

/// `activation` applied to the Python expression `x`, as PyTorch writes it
/// (its GELU is the exact one, its SELU and softplus have netinit's constants).
pub fn activation(activation: Activation, x: &str) -> String {
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

/// `[height, width]` as a Python tuple.
pub fn pair([height, width]: [usize; 2]) -> String {
    format!("({height}, {width})")
}

/// `, bias=False` for a layer without biases, so its module has no `bias`.
pub fn no_bias(has_bias: bool) -> &'static str {
    if has_bias {
        ""
    } else {
        ", bias=False"
    }
}
