//! `attention(D, heads = H [, mask = causal] [, bias = none] [, OPTION]*)`:
//! multi-head self-attention over a sequence of tokens of `D` features.
//! Four projections of `(D, D)` each, `q`, `k`, `v` and `o` (with biases
//! unless `bias = none`); the queries and keys of each head of `D/H`
//! features give the scores `q·k/√(D/H)`, whose softmax over the keys
//! (with `mask = causal`, over a token and those before it) weights the
//! values; the heads' outputs side by side go through `o`. PyTorch: four
//! `nn.Linear`s and `F.scaled_dot_product_attention`.
//!
//! The derived init of each projection is the identity's, Xavier's
//! `N(0, 1/D)` for these square matrices: `q` and `k` then give each score a variance of about the
//! square of the input's second moment (1 after a normalization), and `v`
//! and `o` keep the signal's scale as the linear maps they are; as a
//! residual branch's last layer, `o` gets the derived branch scaling. An
//! `OPTION` (`init`, `dist`, `mode`, `gain`) applies to all four.
//!
//! The analysis follows each token's second moment and the similarity of
//! two tokens through it: the scores' spread over the keys sets how far
//! the softmax weights are from uniform, and so how much of each token's
//! own value survives the average (see [`AttentionSpec::signal`]).

use core::fmt;

use proc_macro2::TokenStream;
use quote::quote;

use crate::rules::activation::Activation;
use crate::rules::dsl::ast::{self, Body};
use crate::rules::dsl::options::{Expect, OptionSpec, Options};
use crate::rules::dsl::spans::LayerSpans;
use crate::rules::dsl::syntax::{Form, Modelled, Read, Reader};
use crate::rules::error::words::counted;
use crate::rules::error::{SizeError, SpecError};
use crate::rules::fans::Fans;
use crate::rules::gaussian::expectation;
use crate::rules::init::Init;
use crate::rules::keywords;
use crate::rules::layer::affine::DENSE_OPTIONS;
use crate::rules::layer::kind::{ConstantInput, Given, Kind, Properties};
use crate::rules::layer::{LayerKind, LayerSpec};
use crate::rules::limits::MAX_ATTENDED;
use crate::rules::parameter::{ParameterSpec, Role};
use crate::rules::part::Part;
use crate::rules::pytorch::python::{self, Export, Python};
use crate::rules::shape::Shape;
use crate::rules::signal::step::{SignalAt, Spread, Step, Stepped};
use crate::rules::signal::values::{centred, Values};
use crate::rules::tokens;

/// The projections' names, in the order of their tensors: each has a
/// `weight` and a `bias` (`q.weight`, `q.bias`, …).
pub const PROJECTIONS: [&str; 4] = ["q", "k", "v", "o"];

/// The tensors' names, `weight` then `bias` of each projection in turn.
const NAMES: [[&str; 2]; 4] = [
    ["q.weight", "q.bias"],
    ["k.weight", "k.bias"],
    ["v.weight", "v.bias"],
    ["o.weight", "o.bias"],
];

/// `attention(D, heads = H)`: multi-head self-attention.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AttentionSpec {
    features: usize,
    heads: usize,
    causal: bool,
    biased: bool,
    init: Init,
}

impl AttentionSpec {
    /// Self-attention over tokens of `features`, in `heads` heads, every
    /// token seeing every other, with biases and the derived init.
    pub const fn new(features: usize, heads: usize) -> AttentionSpec {
        AttentionSpec {
            features,
            heads,
            causal: false,
            biased: true,
            init: Init::derived(Activation::Identity),
        }
    }

    /// The same attention with each token seeing only itself and the
    /// tokens before it (`mask = causal`), as a language model's.
    pub const fn causal(self) -> AttentionSpec {
        AttentionSpec { causal: true, ..self }
    }

    /// The same attention without biases (`bias = none`).
    pub const fn without_bias(self) -> AttentionSpec {
        AttentionSpec {
            biased: false,
            ..self
        }
    }

    /// The same attention with its four projections drawn from `init`.
    pub const fn with_projections(self, init: Init) -> AttentionSpec {
        AttentionSpec { init, ..self }
    }

    /// The features of each token.
    pub const fn features(&self) -> usize {
        self.features
    }

    /// The heads.
    pub const fn heads(&self) -> usize {
        self.heads
    }

    /// The features of each head, `D/H`.
    pub const fn head_features(&self) -> usize {
        self.features / if self.heads == 0 { 1 } else { self.heads }
    }

    /// Whether each token sees only itself and the tokens before it.
    pub const fn is_causal(&self) -> bool {
        self.causal
    }

    /// Whether the projections have biases.
    pub const fn has_bias(&self) -> bool {
        self.biased
    }

    /// The projections' init.
    pub const fn projections(&self) -> Init {
        self.init
    }

    /// With its projections' weights drawn from `init` (any of their
    /// names, or `weight` for all four); unchanged for another name.
    pub(crate) const fn with_init(self, parameter: &str, init: Init) -> AttentionSpec {
        let mut at = 0;
        while at < NAMES.len() {
            if keywords::same(parameter, NAMES[at][0]) {
                return self.with_projections(init);
            }
            at += 1;
        }
        if keywords::same(parameter, keywords::WEIGHT) {
            self.with_projections(init)
        } else {
            self
        }
    }

    /// Without biases when `parameter` is `bias` (`bias = none`); unchanged
    /// for another name.
    pub(crate) const fn without(self, parameter: &str) -> AttentionSpec {
        if keywords::same(parameter, keywords::BIAS) {
            self.without_bias()
        } else {
            self
        }
    }

    /// The fans of each projection.
    fn fans(&self) -> Fans {
        Fans::dense(self.features, self.features)
    }
}

impl LayerSpec {
    /// `attention(D, heads = H)`: multi-head self-attention over tokens of
    /// `D` features.
    ///
    /// ```
    /// use netinit::{AttentionSpec, LayerSpec};
    /// let layer = LayerSpec::attention(AttentionSpec::new(64, 4).causal());
    /// assert_eq!(layer.parameter_count(), Some(4 * (64 * 64 + 64)));
    /// assert_eq!(layer.parameters()[0].name(), "q.weight");
    /// ```
    pub const fn attention(attention: AttentionSpec) -> LayerSpec {
        LayerSpec::of(LayerKind::Attention(attention))
    }
}

impl Kind for AttentionSpec {
    fn keyword(&self) -> &'static str {
        keywords::ATTENTION
    }

    /// `q`, `k`, `v` and `o`, each `weight` (`(D, D)`) then `bias`, each
    /// projection drawing from its own lane; `o`'s weights take the branch
    /// scaling.
    fn parameters(&self) -> Vec<ParameterSpec> {
        let features = self.features;
        let mut parameters = Vec::with_capacity(8);
        for (lane, [weight, bias]) in NAMES.iter().enumerate() {
            let mut matrix = ParameterSpec::matrix(
                weight,
                Role::Weights,
                &[features, features],
                [features, features],
                self.init,
            )
            .resolved_with(Activation::Identity, self.fans())
            .derived_from(Init::derived(Activation::Identity))
            .in_lane(lane as u64);
            if PROJECTIONS[lane] == "o" {
                matrix = matrix.branch_scaled();
            }
            parameters.push(matrix);
            if self.biased {
                parameters.push(
                    ParameterSpec::vector(bias, Role::Biases, features, Init::zeros())
                        .resolved_with(Activation::Identity, self.fans())
                        .derived_from(Init::zeros())
                        .in_lane(lane as u64),
                );
            }
        }
        parameters
    }

    fn activation(&self) -> Activation {
        Activation::Identity
    }

    fn properties(&self) -> Properties {
        Properties {
            needs_input: true,
            ..Properties::NONE
        }
    }

    fn implied_input(&self) -> Option<Shape> {
        None
    }

    fn size_errors(&self, layer: usize, errors: &mut Vec<SpecError>) {
        if self.features == 0 {
            errors.push(SpecError::Size(SizeError::ZeroWidth {
                layer,
                part: Part::Inputs,
            }));
        }
        if self.heads == 0 {
            errors.push(SpecError::Size(SizeError::ZeroSize {
                layer,
                part: Part::Option(keywords::HEADS),
            }));
        } else if !self.features.is_multiple_of(self.heads) {
            errors.push(SpecError::Size(SizeError::HeadsDivide {
                layer,
                features: self.features,
                heads: self.heads,
            }));
        }
    }

    fn init_errors(&self, layer: usize, parameters: &[ParameterSpec], errors: &mut Vec<SpecError>) {
        ParameterSpec::init_errors(parameters, layer, errors);
    }

    /// A sequence of tokens of `D` features, in and out.
    fn output(&self, given: &Given) -> Result<Option<Shape>, SpecError> {
        let Some((tokens, features)) = given.sequence(keywords::ATTENTION)? else {
            return Ok(None);
        };
        if tokens > MAX_ATTENDED {
            return Err(SpecError::Size(SizeError::TooManyTokens {
                layer: given.layer,
                tokens,
            }));
        }
        if features != self.features && features != 0 && self.features != 0 {
            return Err(SpecError::Chain(crate::rules::error::ChainError::TokenWidth {
                layer: given.layer,
                kind: keywords::ATTENTION,
                given: features,
                found: self.features,
                previous: given.previous,
            }));
        }
        Ok(Some(Shape::sequence(tokens, self.features)))
    }

    fn constant_input(&self, _: f64) -> ConstantInput {
        ConstantInput::Ends
    }

    /// The step of the analysis, for an input of second moment `m` per
    /// value whose tokens have similarity `s`:
    ///
    /// * each of `q`, `k`, `v` has second moment `D·E[w²]·m + E[b²]`, and
    ///   two tokens' similarity `(D·E[w²]·m·s + E[b²]) / that`;
    /// * a score `q·k/√(D/H)` has variance `E[q²]·E[k²]`; over the keys of
    ///   one query it spreads by `v = E[q²]·E[k²]·(1 − centred key similarity)`;
    /// * the softmax of Gaussian scores of spread `v` over `n` keys gives
    ///   `Σ_j p_j² ≈ e^v / n` (at most 1), and two queries whose scores
    ///   correlate by their similarity `ρ` share `Σ_j p_ij p_kj ≈ e^{ρv} / n`;
    ///   a causal row `i` has `n = i + 1` keys, and two rows share the
    ///   keys of the earlier one;
    /// * the average of the values then has second moment
    ///   `E[v²]·(s_v + (1 − s_v)·Σ p²)` and two tokens' cross moment
    ///   `E[v²]·(s_v + (1 − s_v)·Σ p_i p_k)`, averaged over the rows and
    ///   pairs of rows;
    /// * `o` maps that as a linear layer does.
    ///
    /// The average makes two tokens more alike (rank collapse) the nearer
    /// the weights are to uniform: by `s_v + (1 − s_v)/n` for uniform ones.
    fn signal(&self, input: &Values, at: &SignalAt) -> Stepped {
        let moment = |index: usize| at.moments.get(index).copied().unwrap_or(0.0);
        let stride = if self.biased { 2 } else { 1 };
        let bias = |lane: usize| {
            if self.biased {
                moment(lane * stride + 1)
            } else {
                0.0
            }
        };
        let weight = |lane: usize| moment(lane * stride);
        let features = self.features as f64;
        let (second, similarity) = (input.mean(), input.tokens);
        let projected = |lane: usize, second: f64, similarity: f64| {
            let weighted = features * weight(lane) * second;
            let total = weighted + bias(lane);
            let similar = match total > 0.0 {
                true => ((weighted * similarity + bias(lane)) / total).clamp(-1.0, 1.0),
                false => similarity,
            };
            (total, similar)
        };
        let (query, query_similarity) = projected(0, second, similarity);
        let (key, key_similarity) = projected(1, second, similarity);
        let (value, value_similarity) = projected(2, second, similarity);
        let spread = (query * key * (1.0 - centred(key_similarity, 0.0)).max(0.0)).min(MAX_SPREAD);
        // Past the bound (an error validation reports) the analysis takes
        // the bound: it walks the rows one by one.
        let tokens = at
            .input
            .and_then(|shape| shape.tokens())
            .unwrap_or(1)
            .clamp(1, MAX_ATTENDED);
        let shares = Shares::of(tokens, self.causal, spread, query_similarity);
        let averaged = value * (value_similarity + (1.0 - value_similarity) * shares.own);
        let averaged_similarity = match averaged > 0.0 {
            true => (value * (value_similarity + (1.0 - value_similarity) * shares.shared) / averaged)
                .clamp(-1.0, 1.0),
            false => value_similarity,
        };
        let (out, out_similarity) = projected(3, averaged, averaged_similarity);
        let values = Values {
            field: vec![out],
            plane: None,
            mean_ratio: 0.0,
            correlation: 0.0,
            tokens: out_similarity,
            gaussian: None,
        };
        // On the way back: through `o`, the transposed average (each value
        // gathers `Σ_i p_ij²` of the rows' gradients, `shares.own` on
        // average) and `v`.
        let through = weight(2) * features * shares.own;
        Stepped {
            values,
            step: Step::Affine {
                variances: vec![out],
                input: None,
                windows: None,
                units: self.features,
                weight: weight(3) * through,
                activation: Activation::Identity,
                included: !at
                    .parameters
                    .iter()
                    .any(|parameter| parameter.role() == Role::Weights && parameter.is_constant()),
            },
            spread: Spread::Adds(0.0),
            random: true,
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}({}, {} = {}",
            keywords::ATTENTION,
            self.features,
            keywords::HEADS,
            self.heads
        )?;
        if self.causal {
            write!(f, ", {} = {}", keywords::MASK, keywords::CAUSAL)?;
        }
        if !self.biased {
            write!(f, ", {} = {}", keywords::BIAS, keywords::NONE)?;
        }
        if self.init != Init::derived(Activation::Identity) {
            write!(f, ", {} = {}", keywords::INIT, self.init)?;
        }
        f.write_str(")")
    }

    fn pytorch(&self, at: &Export) -> Python {
        Python {
            module: Some(format!(
                "Attention({}, {}, causal={}{})",
                self.features,
                self.heads,
                if self.causal { "True" } else { "False" },
                python::no_bias(self.biased)
            )),
            step: Some(at.module_call()),
            definition: Some(ATTENTION_CLASS),
        }
    }

    fn tokens(&self) -> TokenStream {
        let private = tokens::private();
        let (features, heads) = (tokens::size(self.features), tokens::size(self.heads));
        let init = tokens::init(self.init);
        let causal = match self.causal {
            true => quote!(.causal()),
            false => quote!(),
        };
        let bias = match self.biased {
            true => quote!(),
            false => quote!(.without_bias()),
        };
        quote!(#private::AttentionSpec::new(#features, #heads) #causal #bias .with_projections(#init))
    }
}

/// The largest score spread the analysis follows (`e^v` past it overflows
/// nothing, but every weight is then on one key already).
const MAX_SPREAD: f64 = 700.0;

/// How the softmax weights of a layer's rows overlap, on average.
struct Shares {
    /// `Σ_j p_ij²`, averaged over the rows `i`.
    own: f64,
    /// `Σ_j p_ij p_kj`, averaged over the pairs of distinct rows.
    shared: f64,
}

/// Rows with more keys than this take the limit of many keys, `e^v / n`.
const MANY_KEYS: usize = 512;

impl Shares {
    /// For `tokens` rows, causal or not, of scores of spread `spread` over
    /// the keys, two rows' scores correlated by `similarity`.
    ///
    /// A row of `n` keys has `Σ p² = n·E[e^{2x} / (e^x + (n − 1)·e^{v/2})²]`,
    /// the other keys' sum taken at its mean (one Gaussian expectation; 1
    /// for one key, `e^v / n` for many). Two rows share the keys of the
    /// earlier one; over them their weights correlate as their scores do,
    /// which for many keys gives `Σ_j p_ij p_kj = e^{ρv} / n_k`. With few
    /// keys only part of that excess over the uniform `1/n_k` is realised:
    /// the part the row's own `Σ p²` realises of its limit's, `r(n) =
    /// (n·Σp² − 1) / (e^v − 1)`. The causal sums run over the rows (and the
    /// pairs, by their later row) in closed form per row: linear in the tokens.
    fn of(tokens: usize, causal: bool, spread: f64, similarity: f64) -> Shares {
        let excess = spread.exp() - 1.0;
        let own_of = |keys: usize| own_share(keys, spread);
        // The share of the limit's excess a row of `keys` keys realises.
        let realised = |keys: usize, own: f64| match excess > 1e-12 {
            true => ((keys as f64 * own - 1.0) / excess).clamp(0.0, 1.0),
            false => 1.0,
        };
        let shared_excess = (similarity.clamp(-1.0, 1.0) * spread).exp() - 1.0;
        let shared_of = |keys: usize, own: f64| {
            ((1.0 + shared_excess * realised(keys, own)) / keys.max(1) as f64).clamp(0.0, 1.0)
        };
        if !causal || tokens == 1 {
            let own = own_of(tokens);
            return Shares {
                own,
                shared: shared_of(tokens, own),
            };
        }
        let count = tokens as f64;
        let (mut own, mut shared) = (0.0, 0.0);
        for keys in 1..=tokens {
            let row = own_of(keys);
            own += row;
            // Row `keys − 1` is the later row of `keys − 1` pairs.
            shared += (keys - 1) as f64 * shared_of(keys, row);
        }
        Shares {
            own: own / count,
            shared: shared / (count * (count - 1.0) / 2.0),
        }
    }
}

/// `Σ_j p_j²` of a softmax over `keys` Gaussian scores of variance
/// `spread`: `n·E[e^{2x} / (e^x + (n − 1)·e^{v/2})²]`, `x ~ N(0, v)`; the
/// limit `e^v / n` past [`MANY_KEYS`].
fn own_share(keys: usize, spread: f64) -> f64 {
    let n = keys.max(1) as f64;
    if keys > MANY_KEYS || spread <= 1e-12 {
        return (spread.exp() / n).min(1.0);
    }
    let rest = (n - 1.0) * (spread / 2.0).exp();
    let weight = |x: f64| {
        let e = x.exp();
        e * e / ((e + rest) * (e + rest))
    };
    (n * expectation(weight, spread)).clamp(1.0 / n, 1.0)
}

/// The PyTorch module of `attention`: the four projections as
/// `nn.Linear`s named as netinit's tensors, the heads split and joined
/// around `F.scaled_dot_product_attention`.
const ATTENTION_CLASS: &str = r#"
class Attention(nn.Module):
    """Multi-head self-attention: projections q, k, v and o, scores scaled by 1/sqrt(D/H)."""

    def __init__(self, features, heads, causal, bias=True):
        super().__init__()
        self.heads, self.causal = heads, causal
        self.q = nn.Linear(features, features, bias=bias)
        self.k = nn.Linear(features, features, bias=bias)
        self.v = nn.Linear(features, features, bias=bias)
        self.o = nn.Linear(features, features, bias=bias)

    def forward(self, x):
        n, t, d = x.shape

        def split(y):
            return torch.transpose(torch.reshape(y, (n, t, self.heads, d // self.heads)), 1, 2)

        y = F.scaled_dot_product_attention(split(self.q(x)), split(self.k(x)), split(self.v(x)), is_causal=self.causal)
        return self.o(torch.reshape(torch.transpose(y, 1, 2), (n, t, d)))
"#;

/// The options of `attention`: the heads, the mask, and a dense layer's
/// (the init, `bias = none`, what adjusts the init), which apply to all
/// four projections.
const ATTENTION_OPTIONS: [OptionSpec; 7] = {
    let [init, bias, dist, mode, gain] = DENSE_OPTIONS;
    [
        OptionSpec {
            key: keywords::HEADS,
            expect: Expect::Size,
        },
        OptionSpec {
            key: keywords::MASK,
            expect: Expect::Word(keywords::MASKS),
        },
        init,
        bias,
        dist,
        mode,
        gain,
    ]
};

impl Read for AttentionSpec {
    const KEYWORDS: &'static [&'static str] = &[keywords::ATTENTION];
    const LISTED: bool = true;
    const FORM: Form = Form::Sizes;
    const EXAMPLE: &'static str = "`attention(D, heads = H)`";
    const OPTIONS: &'static [OptionSpec] = &ATTENTION_OPTIONS;

    fn model(layer: &ast::Layer, reader: &mut Reader) -> Option<Modelled<AttentionSpec>> {
        let Body::Sizes {
            sizes,
            options,
            parens,
        } = &layer.body
        else {
            return None;
        };
        let mut spans = LayerSpans::at(layer.kind.span);
        let options = Options::collect(
            options,
            "`attention`",
            Self::OPTIONS,
            reader.options_anywhere,
            reader.reports,
        );
        let [size] = sizes.as_slice() else {
            reader.reports.at(
                *parens,
                format!(
                    "`attention` takes the features of each token, `D`, then `heads = H`; found {}",
                    counted(sizes.len(), "size")
                ),
                "write e.g. `attention(64, heads = 4)`",
            );
            return Some(Modelled::unknown(AttentionSpec::new(1, 1), spans));
        };
        spans.set(Part::Inputs, size.span);
        let features = size.value.and_then(|value| usize::try_from(value).ok());
        let Some((heads, heads_span)) = options.size(keywords::HEADS) else {
            if options.complete {
                reader.reports.at(
                    *parens,
                    "`attention` needs its number of heads",
                    format!(
                        "write `attention({}, heads = H)`, H dividing the features (1 for one head)",
                        features.unwrap_or(64)
                    ),
                );
            }
            return Some(Modelled::unknown(AttentionSpec::new(1, 1), spans));
        };
        spans.set(Part::Option(keywords::HEADS), heads_span);
        let mut attention = AttentionSpec::new(features.unwrap_or(1), heads);
        if let Some((mask, span)) = options.word(keywords::MASK) {
            spans.set(Part::Option(keywords::MASK), span);
            if mask == keywords::CAUSAL {
                attention = attention.causal();
            }
        }
        // The projections' init, as a dense layer of the identity reads it.
        let (init, init_complete) =
            options.weight(Activation::Identity, layer.kind.span, &mut spans, reader.reports);
        attention = attention.with_projections(init);
        let mut complete = options.complete && init_complete;
        match options.init(keywords::BIAS) {
            Some((None, span, _)) => {
                spans.set(Part::Bias, span);
                attention = attention.without_bias();
            }
            Some((Some(_), span, _)) => {
                reader.reports.at(
                    span,
                    "attention's biases start at zero; only `bias = none` changes them",
                    "write `bias = none` to leave the biases out, or remove `bias = …`",
                );
                complete = false;
            }
            None => {}
        }
        Some(Modelled {
            kind: attention,
            spans,
            complete,
            inputs_known: features.is_some(),
            outputs_known: features.is_some(),
        })
    }
}
