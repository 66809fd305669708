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
    let input = proc_macro2::TokenStream::from(input);
    let item_form = parse::looks_like_item(&input);
    let Some(invocation) = parse::invocation(input, item_form, &mut errors) else {
        let errors = errors.into_compile_errors();
        // Several `compile_error!`s in expression position need a block.
        return if item_form {
            errors
        } else {
            quote::quote!({ #errors })
        }
        .into();
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
