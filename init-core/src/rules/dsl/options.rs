//! A layer's `key = value` options: each kind says which keys it takes and
//! what each holds ([`OptionSpec`]); [`Options::collect`] reads them in the
//! order written, reporting unknown, repeated, misplaced and ill-typed ones,
//! and the kind takes the values it asked for.

use proc_macro2::Span;

use crate::rules::activation::Activation;
use crate::rules::dsl::ast::{LayerOption, Number, OptionValue};
use crate::rules::dsl::report::{unknown_name, Reports};
use crate::rules::dsl::spans::LayerSpans;
use crate::rules::dsl::values::{init, pair};
use crate::rules::error::{InitError, SpecError};
use crate::rules::fans::FanMode;
use crate::rules::init::{Distribution, Init};
use crate::rules::keywords;
use crate::rules::part::Part;
use crate::rules::suggest;

/// An option a kind takes, and what its value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionSpec {
    /// The key.
    pub key: &'static str,
    /// What the value is.
    pub expect: Expect,
}

/// What an option's value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// An init scheme (`init = he_uniform`).
    Scheme,
    /// An init scheme or `none` (`bias = none`).
    SchemeOrNone,
    /// An init of one value per feature (`gamma = ones`).
    FeatureInit,
    /// A distribution name (`dist = uniform`).
    Distribution,
    /// A fan mode (`mode = fan_out`).
    Mode,
    /// A number, written as in the example (`gain = 1.0`, `epsilon = 1e-5`).
    Number(&'static str),
    /// A size or a pair of sizes (`kernel = 3`, `stride = (1, 2)`).
    Pair,
    /// A pair of sizes or `same` (`padding = same`).
    PairOrSame,
    /// A whole number (`heads = 4`, `tokens = 64`); a layer's own checks
    /// refuse 0.
    Size,
    /// One of these words (`mask = causal`).
    Word(&'static [&'static str]),
}

/// `dist`, `mode` and `gain`: what adjusts a variance-scaling init, on a
/// layer or on an init written alone.
pub const INIT_ADJUSTMENTS: [OptionSpec; 3] = [
    OptionSpec {
        key: keywords::DIST,
        expect: Expect::Distribution,
    },
    OptionSpec {
        key: keywords::MODE,
        expect: Expect::Mode,
    },
    OptionSpec {
        key: keywords::GAIN,
        expect: Expect::Number("1.0"),
    },
];

/// One option's value, read.
#[derive(Clone, Copy)]
pub enum Value {
    /// An init, the span of its name and of its scale if written.
    Init(Init, Span, Option<Span>),
    /// `bias = none`, at `none`.
    None(Span),
    /// A distribution, at its key.
    Distribution(Distribution, Span),
    /// A fan mode, at its key.
    Mode(FanMode, Span),
    /// A number.
    Number(Number),
    /// A pair of sizes, `[height, width]`, at the value.
    Pair([usize; 2], Span),
    /// `same`, at the word.
    Same(Span),
    /// A whole number, at the value.
    Size(usize, Span),
    /// One of the words the option takes, at the word.
    Word(&'static str, Span),
}

/// What the options of one layer said.
pub struct Options {
    values: Vec<(&'static str, Value)>,
    /// Whether every option was understood.
    pub complete: bool,
}

impl Options {
    /// Read the `key = value` options of `owner` (`` `conv2d` ``, `an
    /// init`), which takes those in `allowed`; `anywhere` lists every key
    /// some layer takes, so a key another kind takes is told apart from an
    /// unknown one.
    pub fn collect(
        options: &[LayerOption],
        owner: &str,
        allowed: &[OptionSpec],
        anywhere: &[&str],
        reports: &mut Reports,
    ) -> Options {
        let mut collected = Options {
            values: Vec::new(),
            complete: true,
        };
        let mut seen: Vec<&str> = Vec::new();
        let keys: Vec<&str> = allowed.iter().map(|option| option.key).collect();
        for option in options {
            let key = &option.key;
            if seen.contains(&key.text.as_str()) {
                reports.at(
                    key.span,
                    format!("option `{}` is given twice", key.text),
                    format!("keep one `{} = …`", key.text),
                );
                collected.complete = false;
                continue;
            }
            seen.push(&key.text);
            let Some(spec) = allowed.iter().find(|spec| spec.key == key.text) else {
                if anywhere.contains(&key.text.as_str()) {
                    let help = match keys.as_slice() {
                        [] => format!("{owner} takes no options; remove `{} = …`", key.text),
                        _ => format!("{owner} takes {}", suggest::alternatives(&keys)),
                    };
                    reports.at(key.span, format!("{owner} has no `{}` option", key.text), help);
                } else {
                    let known = if keys.is_empty() { keywords::OPTIONS } else { &keys };
                    unknown_name(reports, "option", &key.text, key.span, known);
                }
                collected.complete = false;
                continue;
            };
            match read(spec, key.span, &option.value, reports) {
                Some(value) => collected.values.push((spec.key, value)),
                None => collected.complete = false,
            }
        }
        collected
    }

    /// The value of `key`, if it was given and understood.
    pub fn get(&self, key: &str) -> Option<Value> {
        self.values
            .iter()
            .find(|(written, _)| *written == key)
            .map(|(_, value)| *value)
    }

    /// The init given for `key`: `Some(None)` for `none`.
    pub fn init(&self, key: &str) -> Option<(Option<Init>, Span, Option<Span>)> {
        match self.get(key)? {
            Value::Init(init, span, scale) => Some((Some(init), span, scale)),
            Value::None(span) => Some((None, span, None)),
            _ => None,
        }
    }

    /// The number given for `key`.
    pub fn number(&self, key: &str) -> Option<Number> {
        match self.get(key)? {
            Value::Number(number) => Some(number),
            _ => None,
        }
    }

    /// The whole number given for `key`, and where.
    pub fn size(&self, key: &str) -> Option<(usize, Span)> {
        match self.get(key)? {
            Value::Size(size, span) => Some((size, span)),
            _ => None,
        }
    }

    /// The word given for `key`, and where.
    pub fn word(&self, key: &str) -> Option<(&'static str, Span)> {
        match self.get(key)? {
            Value::Word(word, span) => Some((word, span)),
            _ => None,
        }
    }

    /// The pair given for `key` (a single size as a square), and where.
    pub fn pair(&self, key: &str) -> Option<([usize; 2], Span)> {
        match self.get(key)? {
            Value::Pair(pair, span) => Some((pair, span)),
            _ => None,
        }
    }

    /// The weight init: the one written for `init`, or the one derived
    /// from `activation` (written at `activation_span`), adjusted by
    /// `dist`, `mode` and `gain`; and whether it was all understood. Its
    /// spans go to `spans`.
    pub fn weight(
        &self,
        activation: Activation,
        activation_span: Span,
        spans: &mut LayerSpans,
        reports: &mut Reports,
    ) -> (Init, bool) {
        let (weight, weight_span, weight_scale) = match self.init(keywords::INIT) {
            Some((Some(init), span, scale)) => (init, span, scale.unwrap_or(span)),
            _ => (Init::derived(activation), activation_span, activation_span),
        };
        spans.set(Part::Weight, weight_span);
        spans.set(Part::WeightScale, weight_scale);
        match self.adjust(weight, reports) {
            Some((weight, gain_span)) => {
                if let Some(span) = gain_span {
                    spans.set(Part::WeightScale, span);
                }
                (weight, true)
            }
            None => (weight, false),
        }
    }

    /// Apply `dist`, `mode` and `gain` to the weight init, refusing them
    /// where they mean nothing. Returns the init and the gain's span.
    fn adjust(&self, weight: Init, reports: &mut Reports) -> Option<(Init, Option<Span>)> {
        let dist = match self.get(keywords::DIST) {
            Some(Value::Distribution(distribution, span)) => Some((distribution, span)),
            _ => None,
        };
        let mode = match self.get(keywords::MODE) {
            Some(Value::Mode(mode, span)) => Some((mode, span)),
            _ => None,
        };
        let gain = self.number(keywords::GAIN);
        let mut ok = true;
        let gain_span = gain.map(|gain| gain.span);
        let adjusted = match weight {
            Init::Scaled(mut scaling) => {
                if let Some((distribution, _)) = dist {
                    scaling = scaling.with_distribution(distribution);
                }
                if let Some((mode, _)) = mode {
                    scaling = scaling.with_mode(mode);
                }
                if let Some(gain) = gain {
                    scaling = scaling.with_gain(gain.value);
                }
                Init::Scaled(scaling)
            }
            Init::Orthogonal { .. } => {
                for (name, span) in [("dist", dist.map(|d| d.1)), ("mode", mode.map(|m| m.1))] {
                    if let Some(span) = span {
                        reports.at(
                            span,
                            format!(
                                "`{name}` has no effect on `orthogonal`, which is not drawn element by element"
                            ),
                            format!("remove `{name} = …`; an orthogonal init takes only `gain = …`"),
                        );
                        ok = false;
                    }
                }
                match gain {
                    Some(gain) => Init::Orthogonal {
                        gain: Some(gain.value),
                    },
                    None => weight,
                }
            }
            explicit => {
                let spans = [
                    ("dist", dist.map(|d| d.1)),
                    ("mode", mode.map(|m| m.1)),
                    ("gain", gain_span),
                ];
                for (name, span) in spans {
                    if let Some(span) = span {
                        reports.at(
                            span,
                            format!(
                                "`{name}` has no effect on `{explicit}`, whose distribution and scale are written out"
                            ),
                            format!(
                                "remove `{name} = …`, or use a variance-scaling init such as `init = he_normal` that \
                                 `{name}` adjusts"
                            ),
                        );
                        ok = false;
                    }
                }
                explicit
            }
        };
        ok.then_some((adjusted, gain_span))
    }
}

/// The largest whole number an option of sizes takes: below 2^53, where
/// every whole `f64` is exact (a size that large is refused later anyway).
const MAX_SIZE: f64 = 9_007_199_254_740_991.0;

/// One option's value as `spec` expects it; `None` when it is not (reported).
fn read(spec: &OptionSpec, key_span: Span, value: &OptionValue, reports: &mut Reports) -> Option<Value> {
    let key = spec.key;
    match (spec.expect, value) {
        (Expect::SchemeOrNone, OptionValue::Call(call))
            if call.name.text == keywords::NONE && call.parens.is_none() =>
        {
            Some(Value::None(call.name.span))
        }
        (Expect::SchemeOrNone, OptionValue::Call(call)) if call.name.text == keywords::NONE => {
            let parens = call.parens.unwrap_or(call.name.span);
            reports.at(
                parens,
                "`none` takes no arguments",
                format!("write `{key} = none`"),
            );
            None
        }
        // An unknown name: the inits and `none` are what `bias` takes.
        (Expect::SchemeOrNone, OptionValue::Call(call))
            if !keywords::INITS.contains(&call.name.text.as_str()) =>
        {
            // `orthogonal` is refused for biases, so it is not offered.
            let known: Vec<&str> = keywords::INITS
                .iter()
                .copied()
                .filter(|&name| name != keywords::ORTHOGONAL)
                .chain([keywords::NONE])
                .collect();
            unknown_name(
                reports,
                &format!("{key} init"),
                &call.name.text,
                call.name.span,
                &known,
            );
            None
        }
        (Expect::Scheme | Expect::SchemeOrNone | Expect::FeatureInit, OptionValue::Call(call)) => {
            init(call, reports).map(|(init, scale)| Value::Init(init, call.name.span, scale))
        }
        (Expect::FeatureInit, value) => {
            reports.at(
                value.span(),
                format!("`{key}` takes an init, not a number"),
                "write e.g. `ones`, `zeros`, `constant(0.5)` or `normal(std = 0.02)`",
            );
            None
        }
        (Expect::Scheme | Expect::SchemeOrNone, value) => {
            reports.at(
                value.span(),
                format!("`{key}` takes an init scheme, not a number"),
                "write a scheme such as `he_uniform`, `normal(std = 0.01)` or `constant(0.1)`",
            );
            None
        }
        (Expect::Distribution, OptionValue::Call(call)) if call.parens.is_none() => {
            match Distribution::from_name(&call.name.text) {
                Some(distribution) => Some(Value::Distribution(distribution, key_span)),
                None => {
                    unknown_name(
                        reports,
                        "distribution",
                        &call.name.text,
                        call.name.span,
                        keywords::DISTRIBUTIONS,
                    );
                    None
                }
            }
        }
        (Expect::Distribution, value) => {
            reports.at(
                value.span(),
                format!("`{key}` takes a distribution name"),
                format!("write {}", suggest::alternatives(keywords::DISTRIBUTIONS)),
            );
            None
        }
        (Expect::Mode, OptionValue::Call(call)) if call.parens.is_none() => {
            match FanMode::from_name(&call.name.text) {
                Some(mode) => Some(Value::Mode(mode, key_span)),
                None => {
                    unknown_name(
                        reports,
                        "fan mode",
                        &call.name.text,
                        call.name.span,
                        keywords::FAN_MODES,
                    );
                    None
                }
            }
        }
        (Expect::Mode, value) => {
            reports.at(
                value.span(),
                format!("`{key}` takes a fan mode"),
                format!("write {}", suggest::alternatives(keywords::FAN_MODES)),
            );
            None
        }
        (Expect::Number(_), OptionValue::Number(number)) => Some(Value::Number(*number)),
        (Expect::Number(example), value) => {
            reports.at(
                value.span(),
                format!("`{key}` takes a number"),
                format!("write e.g. `{key} = {example}`"),
            );
            None
        }
        (Expect::PairOrSame, OptionValue::Call(call))
            if call.name.text == keywords::SAME && call.parens.is_none() =>
        {
            Some(Value::Same(call.name.span))
        }
        (Expect::Pair | Expect::PairOrSame, value) => {
            pair(key, value, reports).map(|pair| Value::Pair(pair, value.span()))
        }
        (Expect::Size, OptionValue::Number(number))
            if number.value.fract() == 0.0 && (0.0..=MAX_SIZE).contains(&number.value) =>
        {
            // Whole and below 2^53: the cast is exact.
            Some(Value::Size(number.value as usize, number.span))
        }
        (Expect::Size, value) => {
            reports.at(
                value.span(),
                format!("`{key}` takes a whole number below 2^53"),
                format!("write e.g. `{key} = 4`"),
            );
            None
        }
        (Expect::Word(words), OptionValue::Call(call)) if call.parens.is_none() => {
            match words.iter().find(|&&word| word == call.name.text) {
                Some(word) => Some(Value::Word(word, call.name.span)),
                None => {
                    unknown_name(
                        reports,
                        &format!("`{key}` value"),
                        &call.name.text,
                        call.name.span,
                        words,
                    );
                    None
                }
            }
        }
        (Expect::Word(words), value) => {
            reports.at(
                value.span(),
                format!("`{key}` takes {}", suggest::alternatives(words)),
                format!("write e.g. `{key} = {}`", words[0]),
            );
            None
        }
    }
}

/// An init written alone with the options that adjust it
/// (`"he_uniform, gain = 1.2".parse()`), its scale checked; `anywhere`
/// as for [`Options::collect`].
pub fn init_alone(
    value: &OptionValue,
    options: &[LayerOption],
    anywhere: &[&str],
    reports: &mut Reports,
) -> Option<Init> {
    let OptionValue::Call(call) = value else {
        reports.at(
            value.span(),
            "expected an init scheme, not a number",
            "write a scheme such as `he_uniform`, `normal(std = 0.01)` or `constant(0.1)`",
        );
        return None;
    };
    let written = init(call, reports);
    let mut collected = Options::collect(options, "an init", &INIT_ADJUSTMENTS, anywhere, reports);
    let (init, scale) = written?;
    collected
        .values
        .push((keywords::INIT, Value::Init(init, call.name.span, scale)));
    let mut spans = LayerSpans::at(call.name.span);
    let (init, understood) = collected.weight(Activation::Identity, call.name.span, &mut spans, reports);
    if !understood || !collected.complete {
        return None;
    }
    if let Some((what, value)) = init.invalid_scale() {
        let error = SpecError::Init(InitError::InvalidScale {
            layer: 0,
            part: Part::WeightScale,
            what,
            value,
        });
        reports.at(spans.of(Part::WeightScale), error.message(), error.help());
        return None;
    }
    Some(init)
}
