//! The `network!` macro of netinit. Use it through the `netinit` crate,
//! which documents it; this crate only hands the tokens on:
//! parse → model → validate → expand.

mod ast;
mod errors;
mod expand;
mod model;
mod parse;
mod validate;
mod warning;

use proc_macro::TokenStream;

/// Declare a network; see the `netinit` crate's documentation.
#[proc_macro]
pub fn network(input: TokenStream) -> TokenStream {
    let mut errors = errors::Errors::default();
    let Some(invocation) = parse::invocation(input.into(), &mut errors) else {
        return errors.into_compile_errors().into();
    };
    let model = model::model(invocation, &mut errors);
    let warnings = validate::validate(&model, &mut errors);
    let layers: Vec<_> = model.layers.iter().map(|layer| layer.spec).collect();
    let ok = errors.is_empty();
    let expansion = expand::expand(
        model.item.as_ref(),
        ok.then_some(layers.as_slice()),
        &warnings,
        errors.into_compile_errors(),
    );
    expansion.into()
}
