//! The `network!` macro of netinit. Use it through the `netinit` crate,
//! which documents it. This crate is a thin shell: `init-core`'s DSL reader
//! (the same one the run time uses) reads and checks the tokens; here its
//! findings become compile errors and warnings, and the spec a constant.

mod expand;
mod warning;

use proc_macro::TokenStream;

/// Declare a network; see the `netinit` crate's documentation.
#[proc_macro]
pub fn network(input: TokenStream) -> TokenStream {
    let reading = init_core::dsl::read_tokens(input.into());
    expand::expand(reading).into()
}
