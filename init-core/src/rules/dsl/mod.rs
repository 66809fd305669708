//! The DSL: what goes between the brackets of `network![…]`, read the same
//! way by the macro at compile time and by [`NetworkSpec::from_dsl`](crate::NetworkSpec::from_dsl),
//! `str::parse` and the `netinit` command line at run time, with the same
//! diagnostics word for word.
//!
//! The reader works on `proc_macro2` tokens: in the macro they carry the
//! compiler's spans; at run time the text is tokenized by `proc_macro2`
//! itself, whose spans (with `span-locations`) give line and column.
//! Read, model, check, one file each: the first knows the syntax, the
//! second gives names their meaning, the third runs the spec's validation
//! and lints and places each finding at its token.

pub(crate) mod ast;
mod check;
mod depth;
mod diagnostic;
mod init_call;
mod model;
pub(crate) mod options;
pub(crate) mod print;
mod read;
pub(crate) mod report;
pub(crate) mod spans;
pub(crate) mod syntax;
pub(crate) mod text;
pub(crate) mod values;

use proc_macro2::TokenStream;

use crate::rules::layer::LayerSpec;
use crate::rules::levels::LintLevels;
use crate::rules::tokens;

#[doc(hidden)]
pub use ast::Item;
pub use diagnostic::{Diagnostic, LineColumn, Location, ParseError, Severity};
#[doc(hidden)]
pub use report::Report;

/// A network that holds together: its layers, with the derived branch
/// scaling, and the lint levels set on the whole network.
#[doc(hidden)]
#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    /// The layers, first to last.
    pub layers: Vec<LayerSpec>,
    /// The lint levels set on the whole network.
    pub lints: LintLevels,
}

impl Checked {
    /// Each layer as the constant expression that builds it, for the
    /// `network!` macro's expansion.
    pub fn layer_tokens(&self) -> Vec<TokenStream> {
        self.layers.iter().map(LayerSpec::tokens).collect()
    }

    /// The network's lint levels as a constant expression.
    pub fn lint_tokens(&self) -> TokenStream {
        tokens::lint_levels(&self.lints)
    }
}

/// What the reader made of an invocation, for the `network!` macro.
#[doc(hidden)]
pub struct Reading {
    /// Whether the tokens are the item form (`pub struct Name { … }`).
    pub item_form: bool,
    /// The item form's struct, when its outline could be read.
    pub item: Option<Item>,
    /// The network, when it holds together (its lints may still refuse it).
    pub network: Option<Checked>,
    /// Every finding, in order.
    pub reports: Vec<Report>,
}

impl Reading {
    /// Whether any finding is an error: the network is refused.
    pub fn refused(&self) -> bool {
        self.reports
            .iter()
            .any(|report| report.severity == Severity::Error)
    }
}

/// Read an invocation's tokens: the macro's entry point.
#[doc(hidden)]
pub fn read_tokens(tokens: TokenStream) -> Reading {
    let item_form = read::looks_like_item(&tokens);
    if let Some(report) = depth::too_deep(&tokens) {
        return Reading {
            item_form,
            item: None,
            network: None,
            reports: vec![report],
        };
    }
    let mut reports = report::Reports::default();
    let Some(invocation) = read::invocation(tokens, item_form, &mut reports) else {
        return Reading {
            item_form,
            item: None,
            network: None,
            reports: reports.into_vec(),
        };
    };
    let model = model::model(invocation, &mut reports);
    let network = check::check(&model, &mut reports);
    Reading {
        item_form,
        item: model.item,
        network,
        reports: reports.into_vec(),
    }
}
