//! Constant expressions for the `network!` macro's expansion: each layer
//! kind writes the expression that builds it from these pieces. Every path
//! is absolute through the facade (`::netinit::__private`), so the output
//! compiles under `#![no_implicit_prelude]` and beside user items named
//! `Vec` or `core`.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use crate::rules::activation::Activation;
use crate::rules::fans::FanMode;
use crate::rules::init::{Distribution, Family, Init};
use crate::rules::levels::{Level, Lint, LintLevels};
use crate::rules::shape::Shape;

/// The facade's module of what expansions name.
pub fn private() -> TokenStream {
    quote!(::netinit::__private)
}

/// `784usize`.
pub fn size(value: usize) -> TokenStream {
    let literal = Literal::usize_suffixed(value);
    quote!(#literal)
}

/// `0.5f64`, exact (Rust reads back the shortest round-trip text).
pub fn number(value: f64) -> TokenStream {
    let literal = Literal::f64_suffixed(value);
    quote!(#literal)
}

/// `f64::from_bits(…)`: a computed value (a derived factor) as its exact
/// bits, so that no value near a constant (1/√2) reads as a mistyped one
/// to clippy's `approx_constant`.
pub fn bits(value: f64) -> TokenStream {
    let bits = Literal::u64_suffixed(value.to_bits());
    quote!(::core::primitive::f64::from_bits(#bits))
}

/// `[3usize, 5usize]`.
pub fn pair([height, width]: [usize; 2]) -> TokenStream {
    let (height, width) = (size(height), size(width));
    quote!([#height, #width])
}

/// `Shape::Features(784usize)`, `Shape::image(1usize, 28usize, 28usize)`,
/// `Shape::sequence(…)` or `Shape::Tokens(64usize)`.
pub fn shape(shape: Shape) -> TokenStream {
    let private = private();
    match shape {
        Shape::Features(features) => {
            let features = size(features);
            quote!(#private::Shape::Features(#features))
        }
        Shape::Image {
            channels,
            height,
            width,
        } => {
            let [channels, height, width] = [channels, height, width].map(size);
            quote!(#private::Shape::image(#channels, #height, #width))
        }
        Shape::Sequence { tokens, features } => {
            let [tokens, features] = [tokens, features].map(size);
            quote!(#private::Shape::sequence(#tokens, #features))
        }
        Shape::Tokens(tokens) => {
            let tokens = size(tokens);
            quote!(#private::Shape::Tokens(#tokens))
        }
    }
}

/// `Activation::Relu`, `Activation::LeakyRelu(0.1f64)`.
pub fn activation(activation: Activation) -> TokenStream {
    let path = quote!(::netinit::__private::Activation);
    match activation {
        Activation::Identity => quote!(#path::Identity),
        Activation::Relu => quote!(#path::Relu),
        Activation::LeakyRelu(alpha) => {
            let alpha = number(alpha);
            quote!(#path::LeakyRelu(#alpha))
        }
        Activation::Elu(alpha) => {
            let alpha = number(alpha);
            quote!(#path::Elu(#alpha))
        }
        Activation::Gelu => quote!(#path::Gelu),
        Activation::Silu => quote!(#path::Silu),
        Activation::Selu => quote!(#path::Selu),
        Activation::Softplus => quote!(#path::Softplus),
        Activation::Tanh => quote!(#path::Tanh),
        Activation::Sigmoid => quote!(#path::Sigmoid),
        Activation::Softmax => quote!(#path::Softmax),
    }
}

/// An `Init` as a constant expression.
pub fn init(init: Init) -> TokenStream {
    let private = private();
    let option = |value: Option<f64>| match value {
        Some(value) => {
            let value = number(value);
            quote!(#private::Option::Some(#value))
        }
        None => quote!(#private::Option::None),
    };
    match init {
        Init::Scaled(scaling) => {
            let family = match scaling.family {
                Family::He => quote!(He),
                Family::Xavier => quote!(Xavier),
                Family::LeCun => quote!(LeCun),
            };
            let distribution = match scaling.distribution {
                Distribution::Normal => quote!(Normal),
                Distribution::Uniform => quote!(Uniform),
                Distribution::TruncatedNormal => quote!(TruncatedNormal),
            };
            let mode = match scaling.mode {
                FanMode::FanIn => quote!(FanIn),
                FanMode::FanOut => quote!(FanOut),
                FanMode::FanAvg => quote!(FanAvg),
            };
            let gain = option(scaling.gain);
            quote! {
                #private::Init::Scaled(#private::VarianceScaling {
                    family: #private::Family::#family,
                    distribution: #private::Distribution::#distribution,
                    mode: #private::FanMode::#mode,
                    gain: #gain,
                })
            }
        }
        Init::Orthogonal { gain } => {
            let gain = option(gain);
            quote!(#private::Init::Orthogonal { gain: #gain })
        }
        Init::Normal { std } => {
            let std = number(std);
            quote!(#private::Init::Normal { std: #std })
        }
        Init::Uniform { bound } => {
            let bound = number(bound);
            quote!(#private::Init::Uniform { bound: #bound })
        }
        Init::TruncatedNormal { std } => {
            let std = number(std);
            quote!(#private::Init::TruncatedNormal { std: #std })
        }
        Init::Constant { value } => {
            let value = number(value);
            quote!(#private::Init::Constant { value: #value })
        }
    }
}

/// `Lint::ConstantInit`.
pub fn lint(lint: Lint) -> TokenStream {
    let path = quote!(::netinit::__private::Lint);
    match lint {
        Lint::ConstantInit => quote!(#path::ConstantInit),
        Lint::InitMismatch => quote!(#path::InitMismatch),
        Lint::InitScale => quote!(#path::InitScale),
        Lint::SignalDrift => quote!(#path::SignalDrift),
        Lint::SoftmaxHidden => quote!(#path::SoftmaxHidden),
        Lint::F32Overflow => quote!(#path::F32Overflow),
        Lint::RankCollapse => quote!(#path::RankCollapse),
    }
}

/// `Level::Allow`.
pub fn level(level: Level) -> TokenStream {
    let path = quote!(::netinit::__private::Level);
    match level {
        Level::Allow => quote!(#path::Allow),
        Level::Warn => quote!(#path::Warn),
        Level::Deny => quote!(#path::Deny),
        Level::Forbid => quote!(#path::Forbid),
    }
}

/// `LintLevels::NONE.with(lint, level)…` for every level set.
pub fn lint_levels(levels: &LintLevels) -> TokenStream {
    let set = levels.iter().map(|(named, set)| {
        let (named, set) = (lint(named), level(set));
        quote!(.with(#named, #set))
    });
    quote!(::netinit::__private::LintLevels::NONE #(#set)*)
}
