//! Code generation: the constant `NetworkSpec` (each layer's constant
//! expression is its kind's to write, in `init-core`), the item form's
//! struct, and the warnings. Every path is absolute through the facade
//! (`::netinit::__private`), so the output compiles under
//! `#![no_implicit_prelude]` and beside user items named `Vec` or `core`.

use init_core::dsl::{Item, Reading, Severity};
use proc_macro2::TokenStream;
use quote::quote;

use crate::warning;

/// The expansion: every error a `compile_error!` at its span, every warning
/// a deprecated item; when there were errors an empty network stands in,
/// so the user sees ours and not a cascade of type errors.
pub fn expand(reading: Reading) -> TokenStream {
    let errors: TokenStream = reading
        .reports
        .iter()
        .filter(|report| report.severity == Severity::Error)
        .map(|report| syn::Error::new(report.span, report.text()).to_compile_error())
        .collect();
    let Some(item) = reading.item.as_ref().filter(|_| reading.item_form) else {
        if reading.item_form {
            return errors;
        }
        // Several `compile_error!`s in expression position need a block.
        return spec_expression(&reading, errors);
    };
    item_form(item, spec_expression(&reading, errors))
}

fn spec_expression(reading: &Reading, errors: TokenStream) -> TokenStream {
    let warnings = reading
        .reports
        .iter()
        .filter(|report| report.severity == Severity::Warning)
        .map(warning::tokens);
    // Each layer as its kind writes it, with the branch scaling computed
    // here, at compile time.
    let (layers, lints) = match &reading.network {
        Some(network) => (network.layer_tokens(), network.lint_tokens()),
        None => (Vec::new(), quote!(::netinit::__private::LintLevels::NONE)),
    };
    quote! {
        {
            #errors
            #(#warnings)*
            const LAYERS: &[::netinit::__private::LayerSpec] = &[#(#layers),*];
            ::netinit::__private::NetworkSpec::from_checked(LAYERS, #lints)
        }
    }
}

fn item_form(item: &Item, spec: TokenStream) -> TokenStream {
    let Item { attrs, vis, name } = item;
    let private = quote!(::netinit::__private);
    quote! {
        #(#attrs)*
        #vis struct #name {
            network: ::netinit::Network,
        }

        #[automatically_derived]
        #[allow(dead_code)]
        impl #name {
            /// The network's description, checked at compile time by `network!`.
            #vis const SPEC: ::netinit::NetworkSpec = #spec;

            /// Sample every layer's weights and biases from `seed`
            /// (see `NetworkSpec::init`: reproducible on every platform).
            #vis fn init(seed: #private::u64) -> Self {
                Self { network: Self::SPEC.init(seed) }
            }

            /// The sampled network.
            #vis fn into_network(self) -> ::netinit::Network {
                self.network
            }
        }

        #[automatically_derived]
        impl #private::Deref for #name {
            type Target = ::netinit::Network;

            fn deref(&self) -> &::netinit::Network {
                &self.network
            }
        }

        #[automatically_derived]
        impl #private::DerefMut for #name {
            fn deref_mut(&mut self) -> &mut ::netinit::Network {
                &mut self.network
            }
        }
    }
}
