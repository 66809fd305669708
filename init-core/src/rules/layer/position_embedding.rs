//! `position_embedding(T -> D [, init = INIT])`: a learned `(T, D)` table
//! added to a sequence of `T` tokens of `D` features, row `t` to token
//! `t`, as GPT-2's and ViT's position embeddings; the table is the
//! tensor `weight` (PyTorch: an `nn.Parameter` of that shape). The shape
//! is unchanged.
//!
//! Its derived init is the embedding's, `N(0, 1)`; added to a layer whose
//! init is derived (an embedding, a dense projection of patches), the
//! table and that layer's weights both get the factor `1/√2`, so the sum
//! keeps the second moment the layer before would have alone.

use core::fmt;

use proc_macro2::TokenStream;
use quote::quote;

use crate::rules::activation::Activation;
use crate::rules::dsl::ast;
use crate::rules::dsl::options::OptionSpec;
use crate::rules::dsl::syntax::{Form, Modelled, Read, Reader};
use crate::rules::error::{ChainError, SpecError};
use crate::rules::init::Init;
use crate::rules::keywords;
use crate::rules::layer::embedding::{
    read_table, table, table_size_errors, write_table, TABLE_INIT, TABLE_OPTIONS,
};
use crate::rules::layer::kind::{ConstantInput, Given, Kind, Properties};
use crate::rules::layer::{LayerKind, LayerSpec};
use crate::rules::parameter::ParameterSpec;
use crate::rules::pytorch::python::{Export, Python};
use crate::rules::shape::Shape;
use crate::rules::signal::step::{SignalAt, Step, Stepped};
use crate::rules::signal::values::{centred, Values};
use crate::rules::tokens;

/// `position_embedding(T -> D)`: a learned `(T, D)` table added to a sequence.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PositionEmbeddingSpec {
    tokens: usize,
    features: usize,
    init: Init,
}

impl PositionEmbeddingSpec {
    /// A table of `tokens` positions of `features`, drawn from the derived `N(0, 1)`.
    pub const fn new(tokens: usize, features: usize) -> PositionEmbeddingSpec {
        PositionEmbeddingSpec {
            tokens,
            features,
            init: TABLE_INIT,
        }
    }

    /// The same table drawn from `init`.
    pub const fn with_table(self, init: Init) -> PositionEmbeddingSpec {
        PositionEmbeddingSpec { init, ..self }
    }

    /// The positions of the table: the sequence's tokens.
    pub const fn tokens(&self) -> usize {
        self.tokens
    }

    /// The features of each position's vector.
    pub const fn features(&self) -> usize {
        self.features
    }

    /// The table's init.
    pub const fn table(&self) -> Init {
        self.init
    }

    /// With its table (`weight`) drawn from `init`; unchanged for another name.
    pub(crate) const fn with_init(self, parameter: &str, init: Init) -> PositionEmbeddingSpec {
        if keywords::same(parameter, keywords::WEIGHT) {
            self.with_table(init)
        } else {
            self
        }
    }

    /// Its table is not optional: unchanged.
    pub(crate) const fn without(self, _: &str) -> Self {
        self
    }
}

impl LayerSpec {
    /// `position_embedding(T -> D)`: a learned `(T, D)` table drawn from
    /// `N(0, 1)`, added to a sequence of `T` tokens of `D` features.
    pub const fn position_embedding(table: PositionEmbeddingSpec) -> LayerSpec {
        LayerSpec::of(LayerKind::PositionEmbedding(table))
    }
}

impl Kind for PositionEmbeddingSpec {
    fn keyword(&self) -> &'static str {
        keywords::POSITION_EMBEDDING
    }

    fn parameters(&self) -> Vec<ParameterSpec> {
        vec![table(self.tokens, self.features, self.init)]
    }

    fn activation(&self) -> Activation {
        Activation::Identity
    }

    fn properties(&self) -> Properties {
        Properties {
            fixes_output: true,
            adds_to_previous: true,
            ..Properties::NONE
        }
    }

    fn implied_input(&self) -> Option<Shape> {
        Some(Shape::sequence(self.tokens, self.features))
    }

    fn size_errors(&self, layer: usize, errors: &mut Vec<SpecError>) {
        table_size_errors(layer, [self.tokens, self.features], errors);
    }

    fn init_errors(&self, layer: usize, parameters: &[ParameterSpec], errors: &mut Vec<SpecError>) {
        ParameterSpec::init_errors(parameters, layer, errors);
    }

    /// A sequence of `T` tokens of `D` features, in and out.
    fn output(&self, given: &Given) -> Result<Option<Shape>, SpecError> {
        let Some((tokens, features)) = given.sequence(keywords::POSITION_EMBEDDING)? else {
            return Ok(Some(Shape::sequence(self.tokens, self.features)));
        };
        if tokens != self.tokens && tokens != 0 && self.tokens != 0 {
            return Err(SpecError::Chain(ChainError::TokenCount {
                layer: given.layer,
                given: tokens,
                found: self.tokens,
            }));
        }
        if features != self.features && features != 0 && self.features != 0 {
            return Err(SpecError::Chain(ChainError::TokenWidth {
                layer: given.layer,
                kind: keywords::POSITION_EMBEDDING,
                given: features,
                found: self.features,
                previous: given.previous,
            }));
        }
        Ok(Some(Shape::sequence(self.tokens, self.features)))
    }

    fn constant_input(&self, value: f64) -> ConstantInput {
        match self.init {
            Init::Constant { value: added } => ConstantInput::Gives(value + added),
            _ => ConstantInput::Ends,
        }
    }

    /// The table's rows are drawn apart from the values they are added
    /// to: the second moments add, and so do the cross moments of two
    /// tokens (two rows of a random table are uncorrelated).
    fn signal(&self, input: &Values, at: &SignalAt) -> Stepped {
        let table = at.moments.first().copied().unwrap_or(0.0);
        let constant = self.init.is_constant();
        let given = input.mean();
        let second = given + table;
        let table_mean = if constant { table } else { 0.0 };
        let mean_ratio = if second > 0.0 {
            ((input.mean_ratio * given).sqrt() + table_mean.sqrt()).powi(2) / second
        } else {
            0.0
        };
        let tokens = if second > 0.0 {
            (input.tokens * given + table_mean) / second
        } else {
            input.tokens
        };
        let values = Values {
            field: vec![second],
            plane: None,
            mean_ratio: mean_ratio.min(1.0),
            correlation: centred(input.raw(1), input.mean_ratio),
            tokens,
            gaussian: None,
        };
        Stepped {
            random: !constant,
            ..Stepped::plain(values, Step::Through { input: input.plane })
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_table(
            f,
            keywords::POSITION_EMBEDDING,
            [self.tokens, self.features],
            self.init,
        )
    }

    /// A module of its own holding the table as `weight`, so that the
    /// `state_dict` names it as netinit's checkpoints do.
    fn pytorch(&self, at: &Export) -> Python {
        Python {
            module: Some(format!("PositionEmbedding({}, {})", self.tokens, self.features)),
            step: Some(at.module_call()),
            definition: Some(POSITION_EMBEDDING_CLASS),
        }
    }

    fn tokens(&self) -> TokenStream {
        let private = tokens::private();
        let (positions, features) = (tokens::size(self.tokens), tokens::size(self.features));
        let init = tokens::init(self.init);
        quote!(#private::PositionEmbeddingSpec::new(#positions, #features).with_table(#init))
    }
}

/// The PyTorch module of a position table: `weight` of `(T, D)`, added to
/// a batch of sequences `(n, T, D)`.
const POSITION_EMBEDDING_CLASS: &str = r#"
class PositionEmbedding(nn.Module):
    """A learned (T, D) table added to a sequence, row t to token t."""

    def __init__(self, tokens, features):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(tokens, features))

    def forward(self, x):
        return x + self.weight
"#;

impl Read for PositionEmbeddingSpec {
    const KEYWORDS: &'static [&'static str] = &[keywords::POSITION_EMBEDDING];
    const LISTED: bool = true;
    const FORM: Form = Form::Map;
    const EXAMPLE: &'static str = "`position_embedding(T -> D)`";
    const OPTIONS: &'static [OptionSpec] = &TABLE_OPTIONS;

    fn model(layer: &ast::Layer, reader: &mut Reader) -> Option<Modelled<PositionEmbeddingSpec>> {
        Some(
            read_table(layer, reader)?.modelled(|tokens, features, init| {
                PositionEmbeddingSpec::new(tokens, features).with_table(init)
            }),
        )
    }
}
