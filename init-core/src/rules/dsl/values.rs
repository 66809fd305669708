//! One value as the DSL writes it, read with its mistakes reported: an
//! activation (`leaky_relu(0.1)`), an init (`normal(std = 0.01)`), a size
//! or a pair of sizes (`3`, `(3, 5)`).

use proc_macro2::Span;

use crate::rules::activation::Activation;
use crate::rules::dsl::ast::{Arg, Call, Number, OptionValue};
use crate::rules::dsl::init_call::{InitArgument, InitCallError};
use crate::rules::dsl::report::{unknown_name, Reports};
use crate::rules::error::{InitError, SpecError};
use crate::rules::init::Init;
use crate::rules::keywords;

/// A size or a pair of sizes, `3` or `(3, 5)`, each whole, as `[height,
/// width]`; else the error is reported. (A kernel or stride of 0 is the
/// validation's to refuse, as for a spec built at run time.)
pub fn pair(key: &str, value: &OptionValue, reports: &mut Reports) -> Option<[usize; 2]> {
    let whole = |number: &Number| {
        let value = number.value;
        (value.fract() == 0.0 && value >= 0.0 && value < 2f64.powi(53)).then_some(value as usize)
    };
    let example = if key == keywords::PADDING {
        "`padding = 1`, `padding = (1, 2)` or `padding = same`"
    } else {
        "e.g. `kernel = 3` or `kernel = (3, 5)`"
    };
    let found = match value {
        OptionValue::Number(number) => whole(number).map(|size| [size, size]),
        OptionValue::Tuple(numbers, _) => match numbers.as_slice() {
            [height, width] => whole(height)
                .zip(whole(width))
                .map(|(height, width)| [height, width]),
            _ => None,
        },
        OptionValue::Call(_) => None,
    };
    if found.is_none() {
        reports.at(
            value.span(),
            format!("`{key}` takes a whole number, or two in parentheses for the height and the width"),
            format!("write {example}"),
        );
    }
    found
}

/// An activation written alone (`"leaky_relu(0.01)".parse()`), its α checked.
pub fn activation_alone(call: &Call, reports: &mut Reports) -> Option<Activation> {
    let (activation, parameter_span) = activation(call, reports)?;
    if let Some(alpha) = activation.parameter() {
        if !alpha.is_finite() || alpha < 0.0 {
            let error = SpecError::Init(InitError::InvalidActivationParameter {
                layer: 0,
                value: alpha,
            });
            reports.at(parameter_span, error.message(), error.help());
            return None;
        }
    }
    Some(activation)
}

/// The activation of a [`Call`], and the span of its parameter.
pub fn activation(call: &Call, reports: &mut Reports) -> Option<(Activation, Span)> {
    let name = call.name.text.as_str();
    let span = call.name.span;
    if Activation::takes_parameter(name) {
        let example = if name == keywords::ELU {
            "elu(1.0)"
        } else {
            "leaky_relu(0.01)"
        };
        return match call.args.as_slice() {
            [Arg::Positional(alpha)] => Some((Activation::with_parameter(name, alpha.value)?, alpha.span)),
            [] => {
                reports.at(
                    span,
                    format!("`{name}` needs its α"),
                    format!("write `{example}`"),
                );
                None
            }
            _ => {
                reports.at(
                    call.parens.unwrap_or(span),
                    format!("`{name}` takes one number, its α"),
                    format!("write `{example}`"),
                );
                None
            }
        };
    }
    match Activation::from_name(name) {
        Some(activation) => {
            if let Some(parens) = call.parens {
                reports.at(
                    parens,
                    format!("`{name}` takes no parameter"),
                    format!("write `{name}`"),
                );
                return None;
            }
            Some((activation, span))
        }
        None => {
            unknown_name(reports, "activation", name, span, keywords::ACTIVATIONS);
            None
        }
    }
}

/// The init of a [`Call`], and the span of its scale if it has one; the
/// names and their meaning are `Init::from_call`'s.
pub fn init(call: &Call, reports: &mut Reports) -> Option<(Init, Option<Span>)> {
    let name = call.name.text.as_str();
    let (argument, scale) = match call.args.as_slice() {
        [] => (InitArgument::Absent, None),
        [Arg::Positional(value)] => (InitArgument::Positional(value.value), Some(value.span)),
        [Arg::Named { key, value }] => (InitArgument::Named(&key.text, value.value), Some(value.span)),
        _ => (InitArgument::Several, None),
    };
    match Init::from_call(name, argument) {
        Ok(init) => Some((init, scale)),
        Err(error) => {
            // Point at an unknown name, a wrong key, else the parentheses.
            let span = match (&error, call.args.as_slice()) {
                (InitCallError::Unknown { .. }, _) => call.name.span,
                (InitCallError::WrongKey { .. }, [Arg::Named { key, .. }]) => key.span,
                _ => call.parens.unwrap_or(call.name.span),
            };
            reports.at(span, error.message(), error.help());
            None
        }
    }
}
