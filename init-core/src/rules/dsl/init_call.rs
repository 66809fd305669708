//! How an init is written, `name` or `name(argument)`, and what it means,
//! with one wording of its errors. The names are `keywords`'; the
//! variance-scaling ones map to their family and distribution in one table,
//! beside [`VarianceScaling`].

use crate::rules::init::{Init, VarianceScaling};
use crate::rules::keywords;
use crate::rules::suggest;

/// The argument an init is written with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum InitArgument<'a> {
    /// `name` alone, or `name()`.
    Absent,
    /// `name(value)`, as in `constant(0.5)`.
    Positional(f64),
    /// `name(key = value)`, as in `normal(std = 0.1)`.
    Named(&'a str, f64),
    /// More than one argument.
    Several,
}

/// Why a written init is not one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum InitCallError {
    /// No init has this name.
    Unknown {
        /// The name written.
        name: String,
    },
    /// A scheme whose scale follows from the layer, written with an argument.
    TakesNoArgument {
        /// The init's name.
        name: &'static str,
    },
    /// A distribution or constant written without its one argument.
    NeedsArgument {
        /// The init's name.
        name: &'static str,
    },
    /// `name(key = …)` with the wrong key.
    WrongKey {
        /// The init's name.
        name: &'static str,
        /// The key written.
        found: String,
    },
}

/// The inits written without an argument, apart from the variance-scaling
/// ones (whose names [`VarianceScaling::named`] knows), and what each means.
const PLAIN: [(&str, Init); 3] = [
    (keywords::ORTHOGONAL, Init::Orthogonal { gain: None }),
    (keywords::ZEROS, Init::zeros()),
    (keywords::ONES, Init::ones()),
];

/// The inits written with one argument: name, key (empty for a positional
/// argument), what the argument is, an example.
const WITH_ARGUMENT: [(&str, &str, &str, &str); 4] = [
    (
        keywords::NORMAL,
        keywords::STD,
        "its standard deviation",
        "normal(std = 0.01)",
    ),
    (
        keywords::TRUNCATED_NORMAL,
        keywords::STD,
        "its standard deviation",
        "truncated_normal(std = 0.01)",
    ),
    (
        keywords::UNIFORM,
        keywords::BOUND,
        "its bound",
        "uniform(bound = 0.05)",
    ),
    (keywords::CONSTANT, "", "its value", "constant(0.1)"),
];

impl Init {
    /// The init written as `name` with `argument`, as the DSL spells it.
    /// The scale is not checked here (see [`Init::invalid_scale`]).
    pub(crate) fn from_call(name: &str, argument: InitArgument) -> Result<Init, InitCallError> {
        let plain = match VarianceScaling::named(name) {
            Some(scaling) => scaling.dsl_name().map(|name| (name, Init::Scaled(scaling))),
            None => PLAIN.iter().find(|(known, _)| *known == name).copied(),
        };
        if let Some((name, init)) = plain {
            return match argument {
                InitArgument::Absent => Ok(init),
                _ => Err(InitCallError::TakesNoArgument { name }),
            };
        }
        let Some(&(name, key, _, _)) = WITH_ARGUMENT.iter().find(|(known, ..)| *known == name) else {
            return Err(InitCallError::Unknown {
                name: name.to_owned(),
            });
        };
        let value = match argument {
            InitArgument::Positional(value) if key.is_empty() => value,
            InitArgument::Named(found, value) if found == key => value,
            InitArgument::Named(found, _) if !key.is_empty() => {
                return Err(InitCallError::WrongKey {
                    name,
                    found: found.to_owned(),
                })
            }
            _ => return Err(InitCallError::NeedsArgument { name }),
        };
        Ok(match name {
            keywords::NORMAL => Init::Normal { std: value },
            keywords::TRUNCATED_NORMAL => Init::TruncatedNormal { std: value },
            keywords::UNIFORM => Init::Uniform { bound: value },
            _ => Init::Constant { value },
        })
    }
}

impl InitCallError {
    /// What is wrong.
    pub(crate) fn message(&self) -> String {
        match self {
            InitCallError::Unknown { name } => suggest::unknown("init", name, keywords::INITS).0,
            InitCallError::TakesNoArgument { name } => format!("`{name}` takes no arguments"),
            InitCallError::NeedsArgument { name } => format!("`{name}` needs {}", argument_of(name).2),
            InitCallError::WrongKey { name, found } => {
                format!("`{name}` takes `{} = …`, not `{found} = …`", argument_of(name).1)
            }
        }
    }

    /// How to fix it.
    pub(crate) fn help(&self) -> String {
        match self {
            InitCallError::Unknown { name } => suggest::unknown("init", name, keywords::INITS).1,
            InitCallError::TakesNoArgument { name } if [keywords::ZEROS, keywords::ONES].contains(name) => {
                format!("write `{name}`, or `constant(0.5)` for another value")
            }
            InitCallError::TakesNoArgument { .. } => {
                "set its gain with `gain = 1.0` and its fan with `mode = fan_out`, as options of the layer"
                    .into()
            }
            InitCallError::NeedsArgument { name } | InitCallError::WrongKey { name, .. } => {
                format!("write `{}`", argument_of(name).3)
            }
        }
    }
}

fn argument_of(name: &str) -> (&'static str, &'static str, &'static str, &'static str) {
    WITH_ARGUMENT
        .into_iter()
        .find(|(known, ..)| *known == name)
        .unwrap_or(WITH_ARGUMENT[3])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_the_dsl_lists_has_a_meaning() {
        for name in Init::NAMES {
            let plain = Init::from_call(name, InitArgument::Absent);
            let positional = Init::from_call(name, InitArgument::Positional(0.1));
            let std = Init::from_call(name, InitArgument::Named("std", 0.1));
            let bound = Init::from_call(name, InitArgument::Named("bound", 0.1));
            assert!(
                plain.is_ok() || positional.is_ok() || std.is_ok() || bound.is_ok(),
                "{name}"
            );
        }
        assert_eq!(
            Init::from_call("uniform", InitArgument::Named("std", 1.0))
                .unwrap_err()
                .message(),
            "`uniform` takes `bound = …`, not `std = …`"
        );
        assert_eq!(
            Init::from_call("constant", InitArgument::Several),
            Err(InitCallError::NeedsArgument { name: "constant" })
        );
    }
}
