//! A residual block's markers in the flat list of layers: a block is not a
//! kind, but its start, its shortcut and its end, around its layers.

/// A residual block's markers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    /// `residual(`: the block's start, and whether its branch gets the
    /// derived branch scaling.
    Start {
        /// Whether the derived branch scaling applies.
        scaled: bool,
    },
    /// `shortcut =`: the branch ends, the shortcut begins.
    Shortcut,
    /// The block's closing parenthesis: the branch's output plus the skip's.
    End,
}
