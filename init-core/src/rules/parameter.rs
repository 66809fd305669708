//! A layer's tensors as its kind declares them: the name PyTorch's
//! `state_dict` gives each, its shape, the init it starts from with what
//! that init resolves against, and whether it is trained or a buffer.
//! Everything that walks a network's tensors (sampling, gradients, the
//! optimizer's moments, checkpoints and shards, the summary) walks this
//! list, so none of it names a kind or a tensor.

use crate::rules::activation::Activation;
use crate::rules::error::{InitError, SpecError};
use crate::rules::fans::Fans;
use crate::rules::init::{Draw, Init};
use crate::rules::part::Part;

/// What a tensor is to the rules, which decides the inits it may take and
/// whether the optimizer trains it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Weights that mix units (a dense layer's or a convolution's): they
    /// must start random to break symmetry, at a scale that suits their
    /// fans. Any init; the lints judge it.
    Weights,
    /// One value per unit added to the weights' sums (a bias): a constant
    /// couples no two units. A plain scheme scales by the layer's fans; an
    /// orthogonal one, or one adjusted by `dist`, `mode` or `gain`, is
    /// refused.
    Biases,
    /// One value per feature with no fans to scale by (a normalization's
    /// `γ` and `β`): a constant, or a distribution with its own scale.
    PerFeature,
    /// A table of vectors looked up or added by position (an embedding's
    /// rows, a position table): each row is a token's vector as the next
    /// layers read it, so its scale is the signal's, not a fan's. A
    /// constant table starts every token (or position) as the same vector.
    Table,
    /// State the forward pass keeps in training and the optimizer does not
    /// touch (a batch normalization's running statistics).
    Buffer,
}

/// Which of its layer's random streams a tensor draws from (see the
/// generator's docs): the rows of its weights, or its vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Counter stream 0 (an orthogonal draw's Gaussians stream 2); in the
    /// 0.1 format one ChaCha8 stream per row.
    Weights,
    /// Counter stream 1; in the 0.1 format the ChaCha8 stream `u64::MAX`.
    Biases,
}

/// One tensor of a layer: its name and shape, how it is held, what it
/// starts from and what it is for.
///
/// ```
/// use netinit::{Activation, Init, LayerSpec, Role};
/// let layer = LayerSpec::dense(784, 256, Activation::Relu);
/// let [weight, bias] = layer.parameters()[..] else { unreachable!() };
/// assert_eq!((weight.name(), weight.shape()), ("weight", &[256, 784][..]));
/// assert_eq!((bias.name(), bias.role()), ("bias", Role::Biases));
/// assert_eq!(weight.init(), Init::he_normal());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParameterSpec {
    name: &'static str,
    role: Role,
    shape: [usize; 4],
    rank: usize,
    rows: usize,
    columns: usize,
    vector: bool,
    init: Init,
    derived: Init,
    activation: Activation,
    fans: Fans,
    scale: f64,
    branch: bool,
    stream: Stream,
    lane: u64,
    part: Part,
    nonnegative: bool,
}

impl ParameterSpec {
    /// A tensor of PyTorch shape `shape` held as a `rows × columns` matrix
    /// (a convolution's `(out, in, kh, kw)` weights as `(out, in·kh·kw)`),
    /// starting from `init` resolved against `activation` and `fans`.
    /// It draws from [`Stream::Weights`], is named in diagnostics as
    /// [`Part::Weight`], and the derived branch scaling does not touch it
    /// until [`ParameterSpec::branch_scaled`] says so.
    pub fn matrix(
        name: &'static str,
        role: Role,
        shape: &[usize],
        [rows, columns]: [usize; 2],
        init: Init,
    ) -> ParameterSpec {
        let mut dimensions = [0; 4];
        let rank = shape.len().min(4);
        dimensions[..rank].copy_from_slice(&shape[..rank]);
        ParameterSpec {
            name,
            role,
            shape: dimensions,
            rank,
            rows,
            columns,
            vector: false,
            init,
            derived: init,
            activation: Activation::Identity,
            fans: Fans::dense(1, 1),
            scale: 1.0,
            branch: false,
            stream: Stream::Weights,
            lane: 0,
            part: Part::Weight,
            nonnegative: false,
        }
    }

    /// A vector of `length` values (PyTorch shape `[length]`), held as one
    /// row and drawn from [`Stream::Biases`], named in diagnostics as [`Part::Bias`].
    pub fn vector(name: &'static str, role: Role, length: usize, init: Init) -> ParameterSpec {
        ParameterSpec {
            vector: true,
            stream: Stream::Biases,
            part: Part::Bias,
            ..ParameterSpec::matrix(name, role, &[length], [1, length], init)
        }
    }

    /// The same tensor with its init resolved against `activation` and
    /// `fans` (a variance-scaling scheme's gain and fan).
    pub fn resolved_with(self, activation: Activation, fans: Fans) -> ParameterSpec {
        ParameterSpec {
            activation,
            fans,
            ..self
        }
    }

    /// The same tensor, whose kind gives it `derived` when no init is
    /// written (a dense layer's weights: the scheme matched to its
    /// activation; a normalization's `γ`: ones).
    pub fn derived_from(self, derived: Init) -> ParameterSpec {
        ParameterSpec { derived, ..self }
    }

    /// The same tensor drawn from `stream`, named in diagnostics as `part`.
    pub fn drawn_from(self, stream: Stream, part: Part) -> ParameterSpec {
        ParameterSpec { stream, part, ..self }
    }

    /// The same tensor drawn from its layer's streams of lane `lane`: a
    /// layer of several weight matrices (attention's `q`, `k`, `v`, `o`)
    /// draws each from a lane of its own, so that no two start equal.
    /// Lane 0 is the layer's own streams.
    pub fn in_lane(self, lane: u64) -> ParameterSpec {
        ParameterSpec { lane, ..self }
    }

    /// The same tensor, whose values are never negative (a variance): a
    /// file that holds a negative one is refused.
    pub fn nonnegative(self) -> ParameterSpec {
        ParameterSpec {
            nonnegative: true,
            ..self
        }
    }

    /// The same tensor, marked as the one the derived branch scaling
    /// multiplies when its layer ends a residual branch.
    pub fn branch_scaled(self) -> ParameterSpec {
        ParameterSpec { branch: true, ..self }
    }

    /// The same tensor with its values multiplied by `scale` (the derived
    /// branch scaling, on the tensor marked for it).
    pub(crate) fn with_scale(self, scale: f64) -> ParameterSpec {
        ParameterSpec { scale, ..self }
    }

    /// The name PyTorch's `state_dict` gives it: `weight`, `bias`,
    /// `running_mean`, `running_var`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// What it is for.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Whether the optimizer trains it (all but buffers).
    pub fn trained(&self) -> bool {
        self.role != Role::Buffer
    }

    /// Its shape as PyTorch stores it.
    pub fn shape(&self) -> &[usize] {
        &self.shape[..self.rank]
    }

    /// How it is held and sampled: `[rows, columns]` (one row for a vector).
    pub fn matrix_shape(&self) -> [usize; 2] {
        [self.rows, self.columns]
    }

    /// Whether it is drawn as a vector, from its layer's second stream (a
    /// bias, `β`, a running statistic), rather than as a matrix's rows;
    /// held as one row either way, and its optimizer moments saved as a
    /// vector. A normalization's `γ` is a one-row matrix.
    pub fn is_vector(&self) -> bool {
        self.vector
    }

    /// How many values it holds, `None` if that overflows `usize`.
    pub fn count(&self) -> Option<usize> {
        self.rows.checked_mul(self.columns)
    }

    /// The init it starts from, as written or derived.
    pub fn init(&self) -> Init {
        self.init
    }

    /// The init its kind gives it when none is written.
    pub fn derived(&self) -> Init {
        self.derived
    }

    /// Whether it starts from the init its kind gives it when none is written.
    pub fn is_derived(&self) -> bool {
        self.init == self.derived
    }

    /// The activation its init resolves against.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The fans its init resolves against.
    pub fn fans(&self) -> Fans {
        self.fans
    }

    /// The factor the derived branch scaling puts on it (1 but for the
    /// tensor it scales).
    pub fn branch_scale(&self) -> f64 {
        self.scale
    }

    /// Whether the derived branch scaling multiplies it when its layer ends
    /// a residual branch.
    pub fn is_branch_scaled(&self) -> bool {
        self.branch
    }

    /// Whether its values are never negative (a variance).
    pub fn is_nonnegative(&self) -> bool {
        self.nonnegative
    }

    /// The stream it draws from.
    pub fn stream(&self) -> Stream {
        self.stream
    }

    /// The lane of its layer's streams it draws from (see [`ParameterSpec::in_lane`]).
    pub fn lane(&self) -> u64 {
        self.lane
    }

    /// Where diagnostics about its init point.
    pub fn part(&self) -> Part {
        self.part
    }

    /// Where diagnostics about its init's scale point.
    pub fn scale_part(&self) -> Part {
        match self.part {
            Part::Weight => Part::WeightScale,
            Part::Bias => Part::BiasScale,
            other => other,
        }
    }

    /// What its values are drawn from, the scale resolved, with the branch scaling.
    pub fn draw(&self) -> Draw {
        self.init.draw(self.activation, self.fans).scaled(self.scale)
    }

    /// `E[v²]` of one value, with the branch scaling.
    pub fn second_moment(&self) -> f64 {
        self.init.second_moment(self.activation, self.fans) * self.scale * self.scale
    }

    /// The standard deviation of its values, with the branch scaling.
    pub fn std(&self) -> f64 {
        self.init.std(self.activation, self.fans) * self.scale
    }

    /// Whether every value starts the same as the f32 it becomes: a
    /// constant init, or a scale that rounds them all to zero.
    pub fn is_constant(&self) -> bool {
        self.init.is_constant() || self.draw().is_constant_in_f32()
    }

    /// The init as the summary shows it: `he_normal fan_in std=0.0505`,
    /// with the branch scaling's factor where there is one.
    pub fn describe(&self) -> String {
        let described = self.init.describe(self.activation, self.fans);
        match self.scale {
            1.0 => described,
            // A residual branch's end, or the two addends of a position table's sum.
            scale => format!("{described} × {scale:.4} (derived factor)"),
        }
    }

    /// The mistakes in these tensors' inits, for layer `layer`: for each
    /// trained tensor, an init its role refuses outright (a normalization's
    /// `γ` or `β` from a scheme with fans) or else a scale that is negative
    /// or not finite; then, where the layer has no mistake yet, scales
    /// whose values pass f32's range, buffers' included; then the inits a
    /// bias refuses (orthogonal, or adjusted by `dist`, `mode` or `gain`).
    pub(crate) fn init_errors(parameters: &[ParameterSpec], layer: usize, errors: &mut Vec<SpecError>) {
        for parameter in parameters.iter().filter(|parameter| parameter.trained()) {
            if let Some(error) = parameter.refused_in_its_role(layer, true) {
                errors.push(error);
            } else if let Some((what, value)) = parameter.init.invalid_scale() {
                errors.push(SpecError::Init(InitError::InvalidScale {
                    layer,
                    part: parameter.scale_part(),
                    what,
                    value,
                }));
            }
        }
        // Scales are checked as the f32 values they become.
        if !errors.iter().any(|error| error.layer() == Some(layer)) {
            for parameter in parameters {
                let largest = parameter.draw().largest_magnitude();
                if largest.is_nan() || largest > f64::from(f32::MAX) {
                    errors.push(SpecError::Init(InitError::ScaleOverflow {
                        layer,
                        part: parameter.scale_part(),
                        per_feature: parameter.role() == Role::PerFeature,
                        largest,
                    }));
                }
            }
        }
        for parameter in parameters {
            errors.extend(parameter.refused_in_its_role(layer, false));
        }
    }

    /// The error for an init this tensor's role refuses: checked `first`
    /// (before its scale) for a normalization's, after it for a bias.
    fn refused_in_its_role(&self, layer: usize, first: bool) -> Option<SpecError> {
        match (self.role, self.init, first) {
            (Role::PerFeature, Init::Scaled(_) | Init::Orthogonal { .. }, true) => {
                Some(SpecError::Init(InitError::NormInit {
                    layer,
                    part: self.part,
                    init: self.init,
                }))
            }
            (Role::Biases, Init::Orthogonal { .. }, false) => {
                Some(SpecError::Init(InitError::OrthogonalBias { layer }))
            }
            (Role::Biases, Init::Scaled(scaling), false) if !scaling.is_plain() => {
                Some(SpecError::Init(InitError::AdjustedBias { layer }))
            }
            _ => None,
        }
    }
}

/// The values a list of tensors holds, trained ones only (a buffer is
/// state, not a parameter), `None` if that overflows `usize`.
pub fn trained_count(parameters: &[ParameterSpec]) -> Option<usize> {
    parameters
        .iter()
        .filter(|parameter| parameter.trained())
        .try_fold(0_usize, |sum, parameter| sum.checked_add(parameter.count()?))
}
