//! Warnings on stable Rust: a proc macro cannot emit one directly, so each
//! warning is a deprecated unit struct used at the user's token. rustc then
//! reports "use of deprecated unit struct `init_mismatch`: …" there, and
//! `#![deny(warnings)]` or `#![deny(deprecated)]` turn it into an error.

use init_core::Lint;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};

/// A warning to emit at a span.
pub struct Warning {
    lint: Lint,
    span: Span,
    note: String,
}

impl Warning {
    pub fn new(lint: Lint, span: Span, message: &str, help: &str) -> Warning {
        Warning {
            lint,
            span,
            note: format!("{message}\nhelp: {help}\nnote: `#[warn({lint})]` is on by default; `#[allow({lint})]` on the layer or network silences it"),
        }
    }

    /// A block that defines the item and uses it. Each warning has its own
    /// block, so two warnings of one lint do not collide.
    pub fn tokens(&self) -> TokenStream {
        let name = Ident::new(self.lint.name(), self.span);
        let note = &self.note;
        let usage = quote_spanned!(self.span=> let _ = #name;);
        quote! {
            {
                #[deprecated(note = #note)]
                #[allow(non_camel_case_types)]
                struct #name;
                #usage
            }
        }
    }
}
