//! A layer's identity: its path among the layers that have parameters.

use core::fmt;

/// Where a layer with parameters sits in its network: its index among the
/// network's layers that have parameters (`3`), counted through residual
/// blocks as through the rest, so the path is the `3` of its tensors'
/// names. (A path can nest, `4.1`, but no network's layers use that.)
/// Layers without parameters (an input
/// shape, a flatten, a pooling) are not counted, so adding one re-draws
/// nothing. The path keys the layer's random streams and names it in the
/// summary, as PyTorch's `state_dict` names it (`layers.3.weight`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LayerPath {
    indices: Vec<usize>,
}

impl LayerPath {
    /// The path of the `index`-th layer with parameters at the top level.
    pub fn top(index: usize) -> LayerPath {
        LayerPath { indices: vec![index] }
    }

    /// The path of this block's `index`-th layer with parameters.
    pub fn child(&self, index: usize) -> LayerPath {
        let mut indices = self.indices.clone();
        indices.push(index);
        LayerPath { indices }
    }

    /// The indices from the top level down; never empty.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }
}

impl fmt::Display for LayerPath {
    /// `3`, or `4.1` inside a block.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (depth, index) in self.indices.iter().enumerate() {
            if depth > 0 {
                f.write_str(".")?;
            }
            write!(f, "{index}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_with_dots() {
        assert_eq!(LayerPath::top(3).to_string(), "3");
        assert_eq!(LayerPath::top(4).child(1).to_string(), "4.1");
        assert_eq!(LayerPath::top(4).child(1).indices(), [4, 1]);
    }
}
