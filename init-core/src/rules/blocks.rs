//! Where residual blocks sit in a flat list of layers: a block is
//! `residual`, its branch, an optional `shortcut` and its layers, then the
//! block's end, nested to any depth. Every pass over the layers (shapes,
//! analysis, run time) goes first to last and asks here where a marker's
//! block begins.

use crate::rules::error::{SpecError, StructureError};
use crate::rules::layer::{LayerSpec, Marker, Node};

/// The marker `layer` is, if it is one.
pub fn marker(layer: &LayerSpec) -> Option<Marker> {
    match layer.kind().node() {
        Node::Marker(marker) => Some(marker),
        Node::Layer(_) => None,
    }
}

/// One well-formed residual block, by the indices of its markers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    /// The `residual` marker: its output is the block's input.
    pub start: usize,
    /// The `shortcut` marker, if the block has one.
    pub shortcut: Option<usize>,
    /// The block's end: its output is the branch's plus the shortcut's.
    pub end: usize,
}

impl Block {
    /// The last layer of the branch.
    pub fn branch_last(&self) -> usize {
        self.shortcut.unwrap_or(self.end) - 1
    }

    /// What is added to the branch's output: the shortcut's last layer, or
    /// the block's input (its `residual` marker).
    pub fn skip(&self) -> usize {
        match self.shortcut {
            Some(_) => self.end - 1,
            None => self.start,
        }
    }
}

/// The block that the marker at `index` (a `shortcut` or a block's end)
/// belongs to, found by walking back over nested blocks; `None` when the
/// markers before it do not open one.
pub fn block_of(layers: &[LayerSpec], index: usize) -> Option<Block> {
    let mut depth = 0_usize;
    let mut shortcut = None;
    for before in (0..index).rev() {
        match marker(&layers[before]) {
            Some(Marker::End) => depth += 1,
            Some(Marker::Shortcut) if depth == 0 => shortcut = Some(before),
            Some(Marker::Start { .. }) if depth == 0 => {
                return Some(Block {
                    start: before,
                    shortcut: match marker(&layers[index]) {
                        Some(Marker::End) => shortcut,
                        _ => None,
                    },
                    end: index,
                })
            }
            Some(Marker::Start { .. }) => depth -= 1,
            _ => {}
        }
    }
    None
}

/// Where the blocks are, found in one pass: every block, and each block's
/// branch end.
/// The passes that ask these of many layers build it once, so that their
/// work stays linear in the layers.
#[derive(Clone, Debug, Default)]
pub struct Nesting {
    /// Every well-formed block, in the order their ends come.
    blocks: Vec<Block>,
    /// For each block of `blocks`, its branch's last layer with parameters
    /// that is not in a block nested in it.
    branch_ends: Vec<Option<usize>>,
    /// For each layer, whether it is one of `branch_ends`.
    ends_branch: Vec<bool>,
}

impl Nesting {
    /// The nesting of `layers`. A marker out of place opens or closes
    /// nothing (validation reports it).
    pub fn of(layers: &[LayerSpec]) -> Nesting {
        // Each open block: its start, its shortcut, its branch end so far.
        let mut open: Vec<(usize, Option<usize>, Option<usize>)> = Vec::new();
        let mut nesting = Nesting {
            ends_branch: vec![false; layers.len()],
            ..Nesting::default()
        };
        for (index, layer) in layers.iter().enumerate() {
            match marker(layer) {
                Some(Marker::Start { .. }) => open.push((index, None, None)),
                Some(Marker::Shortcut) => {
                    if let Some((_, shortcut @ None, _)) = open.last_mut() {
                        *shortcut = Some(index);
                    }
                }
                Some(Marker::End) => {
                    if let Some((start, shortcut, branch_end)) = open.pop() {
                        nesting.blocks.push(Block {
                            start,
                            shortcut,
                            end: index,
                        });
                        nesting.branch_ends.push(branch_end);
                        if let Some(end) = branch_end {
                            nesting.ends_branch[end] = true;
                        }
                    }
                }
                None => {
                    if let Some((_, None, branch_end)) = open.last_mut() {
                        if layer.kind().has_parameters() {
                            *branch_end = Some(index);
                        }
                    }
                }
            }
        }
        nesting
    }

    /// Every well-formed block, in the order their ends come (inner blocks
    /// before the blocks around them).
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// The branch's last layer with parameters, not one in a block nested
    /// in it, of the `which`-th block of [`Nesting::blocks`]: where the
    /// derived branch scaling goes, and where a zero init is the ReZero
    /// start (the skip carries the signal meanwhile).
    pub fn branch_end(&self, which: usize) -> Option<usize> {
        self.branch_ends.get(which).copied().flatten()
    }

    /// Whether layer `index` is the last layer with parameters of a block's branch.
    pub fn ends_a_branch(&self, index: usize) -> bool {
        self.ends_branch.get(index).copied().unwrap_or(false)
    }
}

/// How many blocks each layer is inside: 0 for the network's trunk (a
/// block's start and end included, which sit in the sequence around it).
pub fn depths(layers: &[LayerSpec]) -> Vec<usize> {
    let mut depth = 0_usize;
    layers
        .iter()
        .map(|layer| match marker(layer) {
            Some(Marker::Start { .. }) => {
                depth += 1;
                depth - 1
            }
            Some(Marker::End) => {
                depth = depth.saturating_sub(1);
                depth
            }
            _ => depth,
        })
        .collect()
}

/// The mistakes in how the markers nest: a `shortcut` or an end with no
/// block open, a second `shortcut`, a block never ended, a branch or a
/// shortcut with no layer.
pub fn structure_errors(layers: &[LayerSpec], errors: &mut Vec<SpecError>) {
    // Each open block: its start and whether its shortcut has begun.
    let mut open: Vec<(usize, Option<usize>)> = Vec::new();
    for (index, layer) in layers.iter().enumerate() {
        match marker(layer) {
            Some(Marker::Start { .. }) => open.push((index, None)),
            Some(Marker::Shortcut) => match open.last_mut() {
                Some((start, shortcut @ None)) => {
                    if *start + 1 == index {
                        errors.push(SpecError::Structure(StructureError::EmptyBranch {
                            layer: *start,
                            part: "branch",
                        }));
                    }
                    *shortcut = Some(index);
                }
                _ => errors.push(SpecError::Structure(StructureError::MisplacedMarker {
                    layer: index,
                    marker: "shortcut",
                })),
            },
            Some(Marker::End) => match open.pop() {
                Some((start, shortcut)) => {
                    let (first, part) = match shortcut {
                        Some(shortcut) => (shortcut, "shortcut"),
                        None => (start, "branch"),
                    };
                    if first + 1 == index {
                        errors.push(SpecError::Structure(StructureError::EmptyBranch {
                            layer: first,
                            part,
                        }));
                    }
                }
                None => errors.push(SpecError::Structure(StructureError::MisplacedMarker {
                    layer: index,
                    marker: "end",
                })),
            },
            _ => {}
        }
    }
    for (start, _) in open {
        errors.push(SpecError::Structure(StructureError::MisplacedMarker {
            layer: start,
            marker: "residual",
        }));
    }
}

/// For each `residual` marker, how many blocks share the sequence it
/// sits in (the network's top, or one branch or shortcut): the `B` of the
/// derived branch scaling, so that `B` blocks in a row grow the signal by
/// at most `(1 + 1/B)^B < e`. Other layers get 0.
pub fn sibling_counts(layers: &[LayerSpec]) -> Vec<usize> {
    let mut counts = vec![0; layers.len()];
    // The blocks started in each open sequence, innermost last.
    let mut sequences: Vec<Vec<usize>> = vec![Vec::new()];
    let close = |starts: Vec<usize>, counts: &mut Vec<usize>| {
        for &start in &starts {
            counts[start] = starts.len();
        }
    };
    for (index, layer) in layers.iter().enumerate() {
        match marker(layer) {
            Some(Marker::Start { .. }) => {
                if let Some(sequence) = sequences.last_mut() {
                    sequence.push(index);
                }
                sequences.push(Vec::new());
            }
            Some(Marker::Shortcut) if sequences.len() > 1 => {
                let branch = sequences.pop().unwrap_or_default();
                close(branch, &mut counts);
                sequences.push(Vec::new());
            }
            Some(Marker::End) if sequences.len() > 1 => {
                let inner = sequences.pop().unwrap_or_default();
                close(inner, &mut counts);
            }
            _ => {}
        }
    }
    for sequence in sequences {
        close(sequence, &mut counts);
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::activation::Activation;

    fn dense() -> LayerSpec {
        LayerSpec::dense(4, 4, Activation::Relu)
    }

    #[test]
    fn nested_blocks_are_found_from_their_markers() {
        // 0 residual, 1 dense, 2 residual, 3 dense, 4 end, 5 shortcut, 6 dense, 7 end
        let layers = [
            LayerSpec::residual(),
            dense(),
            LayerSpec::residual(),
            dense(),
            LayerSpec::residual_end(),
            LayerSpec::shortcut(),
            dense(),
            LayerSpec::residual_end(),
        ];
        let nesting = Nesting::of(&layers);
        let found = nesting.blocks();
        assert_eq!(
            found,
            [
                Block {
                    start: 2,
                    shortcut: None,
                    end: 4
                },
                Block {
                    start: 0,
                    shortcut: Some(5),
                    end: 7
                }
            ]
        );
        assert_eq!((found[0].branch_last(), found[0].skip()), (3, 2));
        assert_eq!((found[1].branch_last(), found[1].skip()), (4, 6));
        assert_eq!((nesting.branch_end(0), nesting.branch_end(1)), (Some(3), Some(1)));
        assert!(nesting.ends_a_branch(3) && nesting.ends_a_branch(1) && !nesting.ends_a_branch(6));
        let mut errors = Vec::new();
        structure_errors(&layers, &mut errors);
        assert_eq!(errors, []);
        assert_eq!((sibling_counts(&layers)[0], sibling_counts(&layers)[2]), (1, 1));
    }

    #[test]
    fn siblings_count_the_blocks_of_one_sequence() {
        let block = [LayerSpec::residual(), dense(), LayerSpec::residual_end()];
        let mut layers = vec![dense()];
        for _ in 0..3 {
            layers.extend(block);
        }
        let counts = sibling_counts(&layers);
        assert_eq!((counts[1], counts[7], counts[2]), (3, 3, 0));
    }

    #[test]
    fn markers_out_of_order_are_errors() {
        let mut errors = Vec::new();
        structure_errors(
            &[
                LayerSpec::shortcut(),
                LayerSpec::residual(),
                LayerSpec::residual_end(),
                LayerSpec::residual_end(),
                LayerSpec::residual(),
            ],
            &mut errors,
        );
        assert_eq!(
            errors,
            [
                SpecError::Structure(StructureError::MisplacedMarker {
                    layer: 0,
                    marker: "shortcut"
                }),
                SpecError::Structure(StructureError::EmptyBranch {
                    layer: 1,
                    part: "branch"
                }),
                SpecError::Structure(StructureError::MisplacedMarker {
                    layer: 3,
                    marker: "end"
                }),
                SpecError::Structure(StructureError::MisplacedMarker {
                    layer: 4,
                    marker: "residual"
                }),
            ]
        );
    }
}
