//! `embedding(V -> D [, init = INIT])`: each of a sequence's token ids
//! replaced by its row of a `(V, D)` table, as PyTorch's `nn.Embedding`;
//! the table is the tensor `weight`. It takes the ids `input(tokens = T)`
//! gives and gives a sequence of `T` tokens of `D` features.
//!
//! Its derived init draws the rows from `N(0, 1)`, as `nn.Embedding`
//! does: each token starts as a vector of unit second moment, the scale a
//! pre-norm block expects of its input. With a `position_embedding`
//! added right after it, both tables get the factor `1/√2` (see
//! `rules/signal/branch.rs`), so their sum keeps that unit second moment.

use core::fmt;

use proc_macro2::TokenStream;
use quote::quote;

use crate::rules::activation::Activation;
use crate::rules::dsl::ast::{self, Body};
use crate::rules::dsl::options::{OptionSpec, Options};
use crate::rules::dsl::spans::LayerSpans;
use crate::rules::dsl::syntax::{Form, Modelled, Read, Reader};
use crate::rules::error::{SizeError, Sort, SpecError};
use crate::rules::fans::Fans;
use crate::rules::init::Init;
use crate::rules::keywords;
use crate::rules::layer::kind::{ConstantInput, Given, Kind, Properties};
use crate::rules::layer::{LayerKind, LayerSpec};
use crate::rules::limits::MAX_VOCABULARY;
use crate::rules::parameter::{ParameterSpec, Role};
use crate::rules::part::Part;
use crate::rules::pytorch::python::{Export, Python};
use crate::rules::shape::Shape;
use crate::rules::signal::step::{SignalAt, Step, Stepped};
use crate::rules::signal::values::Values;
use crate::rules::tokens;

/// The derived init of a table: `N(0, 1)`, as `nn.Embedding`'s.
pub(crate) const TABLE_INIT: Init = Init::Normal { std: 1.0 };

/// `embedding(V -> D)`: token ids below `V` looked up in a `(V, D)` table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EmbeddingSpec {
    vocabulary: usize,
    features: usize,
    init: Init,
}

impl EmbeddingSpec {
    /// A table of `vocabulary` rows of `features`, drawn from the derived `N(0, 1)`.
    pub const fn new(vocabulary: usize, features: usize) -> EmbeddingSpec {
        EmbeddingSpec {
            vocabulary,
            features,
            init: TABLE_INIT,
        }
    }

    /// The same table drawn from `init`.
    pub const fn with_table(self, init: Init) -> EmbeddingSpec {
        EmbeddingSpec { init, ..self }
    }

    /// The token ids it takes: ids below this.
    pub const fn vocabulary(&self) -> usize {
        self.vocabulary
    }

    /// The features of each token's vector.
    pub const fn features(&self) -> usize {
        self.features
    }

    /// The table's init.
    pub const fn table(&self) -> Init {
        self.init
    }

    /// With its table (`weight`) drawn from `init`; unchanged for another name.
    pub(crate) const fn with_init(self, parameter: &str, init: Init) -> EmbeddingSpec {
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
    /// `embedding(V -> D)`: token ids below `V` looked up in a `(V, D)`
    /// table drawn from `N(0, 1)`.
    ///
    /// ```
    /// use netinit::{EmbeddingSpec, LayerSpec, NetworkSpec, Shape};
    /// let spec = NetworkSpec::new(vec![
    ///     LayerSpec::input(Shape::Tokens(16)),
    ///     LayerSpec::embedding(EmbeddingSpec::new(256, 64)),
    /// ])?;
    /// assert_eq!(spec.output_shape(), Shape::sequence(16, 64));
    /// # Ok::<(), netinit::SpecError>(())
    /// ```
    pub const fn embedding(embedding: EmbeddingSpec) -> LayerSpec {
        LayerSpec::of(LayerKind::Embedding(embedding))
    }
}

/// A table of `rows × features` drawn from `init`, as the tensor `weight`
/// of PyTorch shape `(rows, features)`, its fans as PyTorch counts them,
/// marked for the factor a sum of tables gets.
pub(crate) fn table(rows: usize, features: usize, init: Init) -> ParameterSpec {
    ParameterSpec::matrix(
        keywords::WEIGHT,
        Role::Table,
        &[rows, features],
        [rows, features],
        init,
    )
    .resolved_with(Activation::Identity, Fans::dense(features, rows))
    .derived_from(TABLE_INIT)
    .branch_scaled()
}

impl Kind for EmbeddingSpec {
    fn keyword(&self) -> &'static str {
        keywords::EMBEDDING
    }

    fn parameters(&self) -> Vec<ParameterSpec> {
        vec![table(self.vocabulary, self.features, self.init)]
    }

    fn activation(&self) -> Activation {
        Activation::Identity
    }

    fn properties(&self) -> Properties {
        Properties {
            needs_input: true,
            writes_outputs: true,
            ..Properties::NONE
        }
    }

    fn implied_input(&self) -> Option<Shape> {
        None
    }

    fn size_errors(&self, layer: usize, errors: &mut Vec<SpecError>) {
        table_size_errors(layer, [self.vocabulary, self.features], errors);
        if self.vocabulary > MAX_VOCABULARY {
            errors.push(SpecError::Size(SizeError::VocabularyTooLarge {
                layer,
                vocabulary: self.vocabulary,
            }));
        }
    }

    fn init_errors(&self, layer: usize, parameters: &[ParameterSpec], errors: &mut Vec<SpecError>) {
        ParameterSpec::init_errors(parameters, layer, errors);
    }

    /// `T` token ids in, `T` tokens of `D` features out.
    fn output(&self, given: &Given) -> Result<Option<Shape>, SpecError> {
        match given.shape {
            Some(Shape::Tokens(tokens)) => Ok(Some(Shape::sequence(tokens, self.features))),
            Some(other) => Err(given.wrong_sort(keywords::EMBEDDING, Sort::TokenIds, other)),
            None => Ok(None),
        }
    }

    fn constant_input(&self, _: f64) -> ConstantInput {
        ConstantInput::Ends
    }

    /// Each token's vector is a row of the table: its second moment is
    /// the table's `E[w²]`, its mean the table's mean. Two tokens carry
    /// the same row when their ids are equal, and uncorrelated rows
    /// otherwise: their similarity is the share of pairs with equal ids
    /// (measured, or `1/V` for independent uniform ids). No gradient passes
    /// below it (the ids are not trained).
    fn signal(&self, input: &Values, at: &SignalAt) -> Stepped {
        let second = at.moments.first().copied().unwrap_or(0.0);
        let constant = self.init.is_constant();
        let mut values = Values::constant(second, constant, at.output_plane, 0.0);
        if !constant {
            values.tokens = match input.tokens > 0.0 {
                true => input.tokens.min(1.0),
                false => 1.0 / self.vocabulary.max(1) as f64,
            };
        }
        Stepped {
            random: !constant,
            ..Stepped::plain(values, Step::Zero { input: input.plane })
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_table(
            f,
            keywords::EMBEDDING,
            [self.vocabulary, self.features],
            self.init,
        )
    }

    fn pytorch(&self, at: &Export) -> Python {
        Python {
            module: Some(format!("nn.Embedding({}, {})", self.vocabulary, self.features)),
            step: Some(at.module_call()),
            definition: None,
        }
    }

    fn tokens(&self) -> TokenStream {
        let private = tokens::private();
        let (vocabulary, features) = (tokens::size(self.vocabulary), tokens::size(self.features));
        let init = tokens::init(self.init);
        quote!(#private::EmbeddingSpec::new(#vocabulary, #features).with_table(#init))
    }
}

/// `keyword(ROWS -> FEATURES [, init = INIT])`: a table's text, its init
/// written where it is not the derived one.
pub(crate) fn write_table(
    f: &mut fmt::Formatter<'_>,
    keyword: &str,
    [rows, features]: [usize; 2],
    init: Init,
) -> fmt::Result {
    write!(f, "{keyword}({rows} -> {features}")?;
    if init != TABLE_INIT {
        write!(f, ", {} = {}", keywords::INIT, init)?;
    }
    f.write_str(")")
}

/// The zero sizes of a table of `rows` rows of `features`, as layer `layer`.
pub(crate) fn table_size_errors(layer: usize, [rows, features]: [usize; 2], errors: &mut Vec<SpecError>) {
    for (width, part) in [(rows, Part::Inputs), (features, Part::Outputs)] {
        if width == 0 {
            errors.push(SpecError::Size(SizeError::ZeroWidth { layer, part }));
        }
    }
}

/// The option of a table: its init.
pub(crate) const TABLE_OPTIONS: [OptionSpec; 1] = [OptionSpec {
    key: keywords::INIT,
    expect: crate::rules::dsl::options::Expect::Scheme,
}];

/// `N -> M [, init = INIT]` as read for the table written `layer`: its
/// two sizes (`None` where unreadable), its init, where they were written,
/// and whether it was all understood.
pub(crate) fn read_table(layer: &ast::Layer, reader: &mut Reader) -> Option<ReadTable> {
    let Body::Map {
        inputs,
        outputs,
        options,
    } = &layer.body
    else {
        return None;
    };
    let kind = layer.kind.text.as_str();
    let mut spans = LayerSpans::at(layer.kind.span);
    spans.set(Part::Inputs, inputs.span);
    spans.set(Part::Outputs, outputs.span);
    let options = Options::collect(
        options,
        &format!("`{kind}`"),
        &TABLE_OPTIONS,
        reader.options_anywhere,
        reader.reports,
    );
    let init = match options.init(keywords::INIT) {
        Some((Some(init), span, scale)) => {
            spans.set(Part::Weight, span);
            spans.set(Part::WeightScale, scale.unwrap_or(span));
            init
        }
        _ => {
            spans.set(Part::Weight, layer.kind.span);
            spans.set(Part::WeightScale, layer.kind.span);
            TABLE_INIT
        }
    };
    let size = |width: &ast::Width| width.value.and_then(|value| usize::try_from(value).ok());
    Some(ReadTable {
        sizes: [size(inputs), size(outputs)],
        init,
        spans,
        complete: options.complete,
    })
}

/// A table's sizes and init as read.
pub(crate) struct ReadTable {
    pub(crate) sizes: [Option<usize>; 2],
    pub(crate) init: Init,
    pub(crate) spans: LayerSpans,
    pub(crate) complete: bool,
}

impl ReadTable {
    /// The kind `build` makes of the two sizes, modelled.
    pub(crate) fn modelled<K>(self, build: impl FnOnce(usize, usize, Init) -> K) -> Modelled<K> {
        let [rows, features] = self.sizes;
        Modelled {
            kind: build(rows.unwrap_or(1), features.unwrap_or(1), self.init),
            spans: self.spans,
            complete: self.complete,
            inputs_known: rows.is_some(),
            outputs_known: features.is_some(),
        }
    }
}

impl Read for EmbeddingSpec {
    const KEYWORDS: &'static [&'static str] = &[keywords::EMBEDDING];
    const LISTED: bool = true;
    const FORM: Form = Form::Map;
    const EXAMPLE: &'static str = "`embedding(V -> D)`";
    const OPTIONS: &'static [OptionSpec] = &TABLE_OPTIONS;

    fn model(layer: &ast::Layer, reader: &mut Reader) -> Option<Modelled<EmbeddingSpec>> {
        Some(
            read_table(layer, reader)?.modelled(|vocabulary, features, init| {
                EmbeddingSpec::new(vocabulary, features).with_table(init)
            }),
        )
    }
}
