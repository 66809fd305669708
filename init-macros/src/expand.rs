//! Code generation: the constant `NetworkSpec`, the item form's struct, and
//! the warnings. Every path is absolute through the facade
//! (`::netinit::__private`), so the output compiles under
//! `#![no_implicit_prelude]` and beside user items named `Vec` or `core`.

use init_core::dsl::{Item, Reading, Severity};
use init_core::{
    Activation, Distribution, Family, FanMode, Init, LayerKind, LayerSpec, Level, Lint, LintLevels, Padding,
    Shape,
};
use proc_macro2::{Literal, TokenStream};
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
    let (layers, lints) = match &reading.spec {
        Some(spec) => (spec.layers(), spec.lint_levels()),
        None => (&[][..], LintLevels::NONE),
    };
    let layers = layers.iter().map(layer);
    let lints = lint_levels(&lints, quote!(::netinit::__private::LintLevels::NONE));
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

fn layer(spec: &LayerSpec) -> TokenStream {
    let private = quote!(::netinit::__private);
    let lints = spec.lint_levels();
    let levels = lints.iter().map(|(lint, level)| {
        let (lint, level) = (lint_tokens(lint), level_tokens(level));
        quote!(.with_lint(#lint, #level))
    });
    let kind = match spec.kind() {
        LayerKind::Input(shape) => {
            let shape = match *shape {
                Shape::Features(features) => {
                    let features = Literal::usize_suffixed(features);
                    quote!(#private::Shape::Features(#features))
                }
                Shape::Image {
                    channels,
                    height,
                    width,
                } => {
                    let [channels, height, width] = [channels, height, width].map(Literal::usize_suffixed);
                    quote!(#private::Shape::image(#channels, #height, #width))
                }
            };
            quote!(#private::LayerSpec::input(#shape))
        }
        LayerKind::Dense(_) | LayerKind::Conv2d(_) => affine(spec),
        LayerKind::MaxPool2d(pool) => {
            let (kernel, stride) = (pair(pool.kernel()), pair(pool.stride()));
            quote!(#private::LayerSpec::max_pool2d(#kernel, #stride))
        }
        LayerKind::AvgPool2d(pool) => {
            let (kernel, stride) = (pair(pool.kernel()), pair(pool.stride()));
            quote!(#private::LayerSpec::avg_pool2d(#kernel, #stride))
        }
        LayerKind::GlobalAvgPool2d => quote!(#private::LayerSpec::global_avg_pool2d()),
        LayerKind::Flatten => quote!(#private::LayerSpec::flatten()),
        LayerKind::LayerNorm(norm) | LayerKind::BatchNorm(norm) => {
            let features = Literal::usize_suffixed(norm.features());
            let (gamma, beta) = (init(&norm.gamma()), init(&norm.beta()));
            let epsilon = Literal::f64_suffixed(norm.epsilon());
            let constructor = match spec.kind() {
                LayerKind::BatchNorm(_) => quote!(batch_norm),
                _ => quote!(layer_norm),
            };
            quote! {
                #private::LayerSpec::#constructor(
                    #private::NormSpec::new(#features)
                        .with_gamma(#gamma)
                        .with_beta(#beta)
                        .with_epsilon(#epsilon),
                )
            }
        }
        LayerKind::Activation(function) => {
            let function = activation(*function);
            quote!(#private::LayerSpec::activation_layer(#function))
        }
        LayerKind::Residual { scaled: true } => quote!(#private::LayerSpec::residual()),
        LayerKind::Residual { scaled: false } => quote!(#private::LayerSpec::residual_unscaled()),
        LayerKind::Shortcut => quote!(#private::LayerSpec::shortcut()),
        LayerKind::ResidualEnd => quote!(#private::LayerSpec::residual_end()),
    };
    // The derived branch scaling, computed at compile time.
    let scale = match spec.branch_scale() {
        1.0 => quote!(),
        scale => {
            let scale = Literal::f64_suffixed(scale);
            quote!(.with_branch_scale(#scale))
        }
    };
    quote!(#kind #scale #(#levels)*)
}

/// A dense or conv2d layer: its constructor, then its inits.
fn affine(spec: &LayerSpec) -> TokenStream {
    let private = quote!(::netinit::__private);
    let inputs = Literal::usize_suffixed(spec.inputs());
    let outputs = Literal::usize_suffixed(spec.outputs());
    let activation = activation(spec.activation());
    let weight = init(&spec.weight());
    let bias = init(&spec.bias());
    let constructor = match spec.kind() {
        LayerKind::Conv2d(conv) => {
            let (kernel, stride) = (pair(conv.kernel()), pair(conv.stride()));
            let padding = match conv.padding() {
                Padding::Same => quote!(#private::Padding::Same),
                Padding::Explicit(sizes) => {
                    let sizes = pair(sizes);
                    quote!(#private::Padding::Explicit(#sizes))
                }
            };
            quote! {
                #private::LayerSpec::conv2d(#inputs, #outputs, #activation, #kernel)
                    .with_stride(#stride)
                    .with_padding(#padding)
            }
        }
        _ => quote!(#private::LayerSpec::dense(#inputs, #outputs, #activation)),
    };
    let bias = match spec.has_bias() {
        true => quote!(.with_bias(#bias)),
        false => quote!(.without_bias()),
    };
    quote! {
        #constructor
            .with_weight(#weight)
            #bias
    }
}

/// `[height, width]` as a literal array.
fn pair([height, width]: [usize; 2]) -> TokenStream {
    let (height, width) = (Literal::usize_suffixed(height), Literal::usize_suffixed(width));
    quote!([#height, #width])
}

/// `start.with(lint, level)…` for every level set.
fn lint_levels(levels: &LintLevels, start: TokenStream) -> TokenStream {
    let set = levels.iter().map(|(lint, level)| {
        let (lint, level) = (lint_tokens(lint), level_tokens(level));
        quote!(.with(#lint, #level))
    });
    quote!(#start #(#set)*)
}

fn lint_tokens(lint: Lint) -> TokenStream {
    let path = quote!(::netinit::__private::Lint);
    match lint {
        Lint::ConstantInit => quote!(#path::ConstantInit),
        Lint::InitMismatch => quote!(#path::InitMismatch),
        Lint::InitScale => quote!(#path::InitScale),
        Lint::SignalDrift => quote!(#path::SignalDrift),
        Lint::SoftmaxHidden => quote!(#path::SoftmaxHidden),
    }
}

fn level_tokens(level: Level) -> TokenStream {
    let path = quote!(::netinit::__private::Level);
    match level {
        Level::Allow => quote!(#path::Allow),
        Level::Warn => quote!(#path::Warn),
        Level::Deny => quote!(#path::Deny),
        Level::Forbid => quote!(#path::Forbid),
    }
}

fn activation(activation: Activation) -> TokenStream {
    let path = quote!(::netinit::__private::Activation);
    match activation {
        Activation::Identity => quote!(#path::Identity),
        Activation::Relu => quote!(#path::Relu),
        Activation::LeakyRelu(alpha) => {
            let alpha = Literal::f64_suffixed(alpha);
            quote!(#path::LeakyRelu(#alpha))
        }
        Activation::Elu(alpha) => {
            let alpha = Literal::f64_suffixed(alpha);
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

fn init(init: &Init) -> TokenStream {
    let private = quote!(::netinit::__private);
    let option = |value: Option<f64>| match value {
        Some(value) => {
            let value = Literal::f64_suffixed(value);
            quote!(#private::Option::Some(#value))
        }
        None => quote!(#private::Option::None),
    };
    match *init {
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
            let std = Literal::f64_suffixed(std);
            quote!(#private::Init::Normal { std: #std })
        }
        Init::Uniform { bound } => {
            let bound = Literal::f64_suffixed(bound);
            quote!(#private::Init::Uniform { bound: #bound })
        }
        Init::TruncatedNormal { std } => {
            let std = Literal::f64_suffixed(std);
            quote!(#private::Init::TruncatedNormal { std: #std })
        }
        Init::Constant { value } => {
            let value = Literal::f64_suffixed(value);
            quote!(#private::Init::Constant { value: #value })
        }
    }
}
