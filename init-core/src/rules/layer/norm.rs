//! What `layer_norm(N)` and `batch_norm(C)` share: the features (or
//! channels) normalised, `γ` and `β` with their inits, and `ε`; their
//! tensors, checks, step of the analysis, and how they are read and
//! written. `γ` and `β` start constant on purpose (ones and zeros): they
//! couple no two units, so `constant_init` does not apply to them.

use core::fmt;

use proc_macro2::TokenStream;
use quote::quote;

use crate::rules::activation::Activation;
use crate::rules::dsl::ast::{self, Body};
use crate::rules::dsl::options::{Expect, OptionSpec, Options};
use crate::rules::dsl::spans::LayerSpans;
use crate::rules::dsl::syntax::{Modelled, Reader};
use crate::rules::error::{ChainError, InitError, SizeError, Sort, SpecError};
use crate::rules::fans::Fans;
use crate::rules::init::Init;
use crate::rules::keywords;
use crate::rules::layer::kind::Given;
use crate::rules::limits::MIN_EPSILON;
use crate::rules::number::written;
use crate::rules::parameter::{ParameterSpec, Role};
use crate::rules::part::Part;
use crate::rules::shape::Shape;
use crate::rules::signal::step::{SignalAt, Spread, Step, Stepped};
use crate::rules::signal::values::{centred, positions, Values};
use crate::rules::tokens;

/// The shape a normalization of each example's (or each token's) `found`
/// features gives for what it is `given`: that shape, or the mistake.
pub(crate) fn per_token_output(
    found: usize,
    kind: &'static str,
    given: &Given,
) -> Result<Option<Shape>, SpecError> {
    let width = |features: usize| {
        if features != found && features != 0 && found != 0 {
            Err(SpecError::Chain(ChainError::NormWidth {
                layer: given.layer,
                kind,
                unit: "features",
                given: features,
                found,
                previous: given.previous,
            }))
        } else {
            Ok(())
        }
    };
    match given.shape {
        Some(Shape::Features(features)) => width(features).map(|()| Some(Shape::Features(found))),
        Some(sequence @ Shape::Sequence { features, .. }) => {
            width(features).map(|()| Some(sequence.with_features(found)))
        }
        Some(image @ Shape::Image { .. }) => Err(SpecError::Chain(ChainError::NormOnImage {
            layer: given.layer,
            kind,
            given: image,
            previous: given.previous,
        })),
        Some(ids @ Shape::Tokens(_)) => Err(given.wrong_sort(kind, Sort::Vectors, ids)),
        None => Ok(Some(Shape::Features(found))),
    }
}

/// PyTorch's default `ε`, added to the variance before its square root.
pub const DEFAULT_EPSILON: f64 = 1e-5;

/// A normalization's features, its `γ` and `β` inits and its `ε`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NormSpec {
    features: usize,
    gamma: Init,
    beta: Init,
    epsilon: f64,
}

impl NormSpec {
    /// `N` features, `γ` ones, `β` zeros, `ε` 1e-5 (PyTorch's defaults).
    pub const fn new(features: usize) -> NormSpec {
        NormSpec {
            features,
            gamma: Init::ones(),
            beta: Init::zeros(),
            epsilon: DEFAULT_EPSILON,
        }
    }

    /// The same normalization with another `γ` init.
    pub const fn with_gamma(self, gamma: Init) -> NormSpec {
        NormSpec { gamma, ..self }
    }

    /// The same normalization with another `β` init.
    pub const fn with_beta(self, beta: Init) -> NormSpec {
        NormSpec { beta, ..self }
    }

    /// The same normalization with another `ε`.
    pub const fn with_epsilon(self, epsilon: f64) -> NormSpec {
        NormSpec { epsilon, ..self }
    }

    /// The features normalised together (and the `γ`s and `β`s).
    pub const fn features(&self) -> usize {
        self.features
    }

    /// The init of the scales `γ`.
    pub const fn gamma(&self) -> Init {
        self.gamma
    }

    /// The init of the shifts `β`.
    pub const fn beta(&self) -> Init {
        self.beta
    }

    /// `ε`, added to the variance before its square root.
    pub const fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// `γ` as `weight` (held as one row) and `β` as `bias`, as PyTorch's
    /// normalizations name them; one value per feature, with no fans.
    pub(crate) fn parameters(&self) -> Vec<ParameterSpec> {
        let (identity, none) = (Activation::Identity, Fans::dense(1, 1));
        vec![
            ParameterSpec::matrix(
                keywords::WEIGHT,
                Role::PerFeature,
                &[self.features],
                [1, self.features],
                self.gamma,
            )
            .resolved_with(identity, none)
            .derived_from(Init::ones())
            .branch_scaled(),
            ParameterSpec::vector(keywords::BIAS, Role::PerFeature, self.features, self.beta)
                .resolved_with(identity, none)
                .derived_from(Init::zeros()),
        ]
    }

    /// The mistakes in the size of layer `index`; `per_example` for a
    /// layer normalization, which one feature leaves with nothing to
    /// normalise (a batch normalization of one channel normalises it over
    /// the batch).
    pub(crate) fn size_errors(&self, index: usize, errors: &mut Vec<SpecError>, per_example: bool) {
        match self.features {
            0 => errors.push(SpecError::Size(SizeError::ZeroWidth {
                layer: index,
                part: Part::Inputs,
            })),
            1 if per_example => errors.push(SpecError::Size(SizeError::NormOfOne { layer: index })),
            _ => {}
        }
    }

    /// The mistakes in `γ`'s and `β`'s inits (one value per feature, so a
    /// scheme scaled by fans, or orthogonal, means nothing for them), then
    /// in `ε`, which must be finite and at least [`MIN_EPSILON`].
    pub(crate) fn init_errors(
        &self,
        index: usize,
        parameters: &[ParameterSpec],
        errors: &mut Vec<SpecError>,
    ) {
        ParameterSpec::init_errors(parameters, index, errors);
        if !(self.epsilon.is_finite() && self.epsilon >= MIN_EPSILON) {
            errors.push(SpecError::Init(InitError::InvalidEpsilon {
                layer: index,
                value: self.epsilon,
            }));
        }
    }

    /// With `γ` (`weight`) or `β` (`bias`) drawn from `init`; unchanged
    /// for another name.
    pub(crate) const fn with_init(self, parameter: &str, init: Init) -> NormSpec {
        if keywords::same(parameter, keywords::WEIGHT) {
            self.with_gamma(init)
        } else if keywords::same(parameter, keywords::BIAS) {
            self.with_beta(init)
        } else {
            self
        }
    }

    /// The step of the analysis (`per_example`: a layer normalization,
    /// else a batch normalization at training time): values brought to
    /// mean 0 and variance 1, then scaled by `γ` and shifted by `β`. The
    /// variance is taken as the second moment less the part the mean
    /// carries (`mean_ratio`), `σ²`; the output's second moment is
    /// `E[γ²]·σ²/(σ² + ε) + E[β²]` whatever came before, and the gradient's
    /// is multiplied by about `E[γ²]/(σ² + ε)` on the way back. A `γ` of
    /// zero starts the layer constant: left out, as a constant layer is;
    /// at a residual branch's end it gives `β` and passes no gradient back.
    pub(crate) fn signal(&self, values: &Values, at: &SignalAt, per_example: bool) -> Stepped {
        let gamma = at.moments.first().copied().unwrap_or(0.0);
        let beta = at.moments.get(1).copied().unwrap_or(0.0);
        let random = !self.gamma.is_constant();
        if gamma == 0.0 && (at.ends_branch)() {
            let constant = matches!(self.beta, Init::Constant { .. });
            let step = Step::Zero { input: values.plane };
            let values = Values::constant(beta, constant, at.output_plane, 0.0);
            return Stepped {
                random: true,
                ..Stepped::plain(values, step)
            };
        }
        if gamma == 0.0 {
            let step = Step::Affine {
                variances: vec![values.mean()],
                input: values.plane,
                windows: None,
                units: self.features,
                weight: 0.0,
                activation: Activation::Identity,
                included: false,
            };
            return Stepped {
                random,
                ..Stepped::plain(values.clone(), step)
            };
        }
        // A layer normalization's variance over N features divides by N, as
        // PyTorch's does: on average (N - 1)/N of the spread. A batch
        // normalization's runs over the batch (and the plane's positions),
        // about the whole spread.
        let features = self.features.max(1) as f64;
        let share = if per_example {
            (features - 1.0) / features
        } else {
            1.0
        };
        let variance = (values.mean() * (1.0 - values.mean_ratio) * share).max(0.0);
        let denominator = variance + self.epsilon;
        let second = gamma * variance / denominator + beta;
        // Each feature's mean over examples is its β: a constant β's square.
        let beta_mean = match self.beta {
            Init::Constant { value } => value * value,
            _ => 0.0,
        };
        let mean_ratio = if second > 0.0 {
            (beta_mean / second).min(1.0)
        } else {
            0.0
        };
        // A batch normalization keeps an image's plane: per channel it is an
        // affine map, which keeps the centred neighbour correlation.
        let (field, plane, correlation) = match (per_example, values.plane) {
            (false, Some(plane)) => (
                vec![second; positions(Some(plane))],
                Some(plane),
                values.correlation,
            ),
            _ => (vec![second], None, 0.0),
        };
        // Two tokens' centred parts keep their correlation through the
        // normalization of each; γ scales both, β adds its mean to both.
        let centred_tokens = centred(values.tokens, values.mean_ratio);
        let tokens = match (per_example, second > 0.0) {
            (true, true) => {
                ((gamma * variance / denominator * centred_tokens + beta_mean) / second).clamp(-1.0, 1.0)
            }
            _ => values.tokens,
        };
        let normalized = Values {
            field,
            plane,
            mean_ratio,
            correlation,
            tokens,
            gaussian: None,
        };
        Stepped {
            values: normalized,
            step: Step::Norm {
                scale: gamma / denominator,
            },
            // Its output's spread no longer depends on the draws below.
            spread: Spread::Resets,
            random,
        }
    }

    /// `name(256)`, with `gamma`, `beta` and `epsilon` where they are not
    /// the defaults.
    pub(crate) fn write(&self, f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
        write!(f, "{name}({}", self.features)?;
        if self.gamma != Init::ones() {
            write!(f, ", {} = {}", keywords::GAMMA, self.gamma)?;
        }
        if self.beta != Init::zeros() {
            write!(f, ", {} = {}", keywords::BETA, self.beta)?;
        }
        if self.epsilon != DEFAULT_EPSILON {
            write!(f, ", {} = {}", keywords::EPSILON, written(self.epsilon))?;
        }
        f.write_str(")")
    }

    /// `Kind::new(NormSpec::new(N).with_gamma(…).with_beta(…).with_epsilon(…))`.
    pub(crate) fn tokens(&self, kind: TokenStream) -> TokenStream {
        let private = tokens::private();
        let features = tokens::size(self.features);
        let (gamma, beta) = (tokens::init(self.gamma), tokens::init(self.beta));
        let epsilon = tokens::number(self.epsilon);
        quote! {
            #private::#kind::new(
                #private::NormSpec::new(#features)
                    .with_gamma(#gamma)
                    .with_beta(#beta)
                    .with_epsilon(#epsilon),
            )
        }
    }
}

/// The options of a normalization.
pub(crate) const NORM_OPTIONS: [OptionSpec; 3] = [
    OptionSpec {
        key: keywords::GAMMA,
        expect: Expect::FeatureInit,
    },
    OptionSpec {
        key: keywords::BETA,
        expect: Expect::FeatureInit,
    },
    OptionSpec {
        key: keywords::EPSILON,
        expect: Expect::Number("1e-5"),
    },
];

/// `N [, gamma = INIT] [, beta = INIT] [, epsilon = F]` as read for the
/// normalization written `layer`, which normalises `unit` (`features`, or
/// `channels (or features)`) and takes the options `allowed`.
pub(crate) fn read(
    layer: &ast::Layer,
    unit: &str,
    allowed: &[OptionSpec],
    reader: &mut Reader,
) -> Option<Modelled<NormSpec>> {
    let Body::Sizes {
        sizes,
        options,
        parens,
    } = &layer.body
    else {
        return None;
    };
    let kind = layer.kind.text.as_str();
    let mut spans = LayerSpans::at(layer.kind.span);
    let options = Options::collect(
        options,
        &format!("`{kind}`"),
        allowed,
        reader.options_anywhere,
        reader.reports,
    );
    let features = match sizes.as_slice() {
        [size] => {
            spans.set(Part::Inputs, size.span);
            spans.set(Part::Outputs, size.span);
            size.value.and_then(|value| usize::try_from(value).ok())
        }
        _ => {
            reader.reports.at(
                *parens,
                format!(
                    "`{kind}` takes the number of {unit} it normalises; found {} sizes",
                    sizes.len()
                ),
                format!("write e.g. `{kind}(256)`"),
            );
            None
        }
    };
    let mut norm = NormSpec::new(features.unwrap_or(1));
    if let Some((Some(gamma), span, scale)) = options.init(keywords::GAMMA) {
        spans.set(Part::Weight, span);
        spans.set(Part::WeightScale, scale.unwrap_or(span));
        norm = norm.with_gamma(gamma);
    }
    if let Some((Some(beta), span, scale)) = options.init(keywords::BETA) {
        spans.set(Part::Bias, span);
        spans.set(Part::BiasScale, scale.unwrap_or(span));
        norm = norm.with_beta(beta);
    }
    if let Some(epsilon) = options.number(keywords::EPSILON) {
        spans.set(Part::Option(keywords::EPSILON), epsilon.span);
        norm = norm.with_epsilon(epsilon.value);
    }
    Some(Modelled {
        kind: norm,
        spans,
        complete: options.complete && features.is_some(),
        inputs_known: features.is_some(),
        outputs_known: features.is_some(),
    })
}
