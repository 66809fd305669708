//! Warnings on stable Rust: a proc macro cannot emit one directly, so each
//! warning is a deprecated unit struct used at the user's token. rustc then
//! reports "use of deprecated unit struct `init_mismatch`: …" there, and
//! `#![deny(warnings)]` or `#![deny(deprecated)]` turn it into an error.

use init_core::dsl::Report;
use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};

/// A block that defines the item and uses it at the report's span. Each
/// warning has its own block, so two warnings of one lint do not collide.
pub fn tokens(report: &Report) -> TokenStream {
    let name = report.lint.map_or("netinit_warning", |lint| lint.name());
    let name = Ident::new(name, report.span);
    let note = report.text();
    let usage = quote_spanned!(report.span=> let _ = #name;);
    quote! {
        {
            #[deprecated(note = #note)]
            #[allow(non_camel_case_types)]
            struct #name;
            #usage
        }
    }
}
