//! How an init is written, `name` or `name(argument)`, and what it means:
//! one mapping from names to [`Init`] for the `network!` macro and for
//! `"normal(std = 0.01)".parse::<Init>()`, with one wording of its errors.

use core::fmt;

use crate::rules::init::Init;
use crate::rules::suggest;

/// The argument an init is written with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum InitArgument<'a> {
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
pub enum InitCallError {
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

/// The inits written without an argument, and what each means.
const PLAIN: [(&str, Init); 9] = [
    ("he_normal", Init::he_normal()),
    ("he_uniform", Init::he_uniform()),
    ("xavier_normal", Init::xavier_normal()),
    ("xavier_uniform", Init::xavier_uniform()),
    ("lecun_normal", Init::lecun_normal()),
    ("lecun_uniform", Init::lecun_uniform()),
    ("orthogonal", Init::Orthogonal { gain: None }),
    ("zeros", Init::zeros()),
    ("ones", Init::ones()),
];

/// The inits written with one argument: name, key (empty for a positional
/// argument), what the argument is, an example.
const WITH_ARGUMENT: [(&str, &str, &str, &str); 4] = [
    ("normal", "std", "its standard deviation", "normal(std = 0.01)"),
    (
        "truncated_normal",
        "std",
        "its standard deviation",
        "truncated_normal(std = 0.01)",
    ),
    ("uniform", "bound", "its bound", "uniform(bound = 0.05)"),
    ("constant", "", "its value", "constant(0.1)"),
];

impl Init {
    /// The init written as `name` with `argument`, as the DSL spells it.
    /// The scale is not checked here (see [`Init::invalid_scale`]).
    ///
    /// ```
    /// use init_core::{Init, InitArgument};
    /// assert_eq!(Init::from_call("he_uniform", InitArgument::Absent), Ok(Init::he_uniform()));
    /// assert_eq!(
    ///     Init::from_call("normal", InitArgument::Named("std", 0.1)),
    ///     Ok(Init::Normal { std: 0.1 })
    /// );
    /// assert!(Init::from_call("normal", InitArgument::Named("bound", 0.1)).is_err());
    /// ```
    pub fn from_call(name: &str, argument: InitArgument) -> Result<Init, InitCallError> {
        if let Some((name, init)) = PLAIN.iter().find(|(known, _)| *known == name) {
            return match argument {
                InitArgument::Absent => Ok(*init),
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
            "normal" => Init::Normal { std: value },
            "truncated_normal" => Init::TruncatedNormal { std: value },
            "uniform" => Init::Uniform { bound: value },
            _ => Init::Constant { value },
        })
    }
}

impl InitCallError {
    /// What is wrong.
    pub fn message(&self) -> String {
        match self {
            InitCallError::Unknown { name } => {
                let guess = suggest::closest(name, Init::NAMES)
                    .map(|known| format!("; did you mean `{known}`?"))
                    .unwrap_or_default();
                format!("unknown init `{name}`{guess}")
            }
            InitCallError::TakesNoArgument { name } => format!("`{name}` takes no arguments"),
            InitCallError::NeedsArgument { name } => format!("`{name}` needs {}", argument_of(name).2),
            InitCallError::WrongKey { name, found } => {
                format!("`{name}` takes `{} = …`, not `{found} = …`", argument_of(name).1)
            }
        }
    }

    /// How to fix it.
    pub fn help(&self) -> String {
        match self {
            InitCallError::Unknown { .. } => {
                format!("the inits netinit knows: {}", suggest::list(Init::NAMES))
            }
            InitCallError::TakesNoArgument { name } if matches!(*name, "zeros" | "ones") => {
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

impl fmt::Display for InitCallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; {}", self.message(), self.help())
    }
}

impl std::error::Error for InitCallError {}

/// Why a string is not an init.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseInitError {
    message: String,
}

impl fmt::Display for ParseInitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseInitError {}

impl core::str::FromStr for Init {
    type Err = ParseInitError;

    /// An init in the DSL's spelling: `he_normal`, `normal(std = 0.01)`,
    /// `uniform(bound = 0.1)`, `constant(0.5)`, `zeros`, …, with a finite,
    /// non-negative scale.
    ///
    /// ```
    /// use init_core::Init;
    /// assert_eq!("normal(std = 0.01)".parse::<Init>(), Ok(Init::Normal { std: 0.01 }));
    /// assert_eq!("zeros".parse::<Init>(), Ok(Init::zeros()));
    /// let error = "he_norml".parse::<Init>().unwrap_err();
    /// assert!(error.to_string().contains("did you mean `he_normal`?"));
    /// ```
    fn from_str(text: &str) -> Result<Init, ParseInitError> {
        let fail = |message: String| Err(ParseInitError { message });
        let text = text.trim();
        let (name, inside) = match text.split_once('(') {
            Some((name, rest)) => match rest.strip_suffix(')') {
                Some(inside) => (name.trim(), inside.trim()),
                None => return fail(format!("`{text}`: missing `)`")),
            },
            None => (text, ""),
        };
        let number = |value: &str| {
            value.trim().parse::<f64>().map_err(|_| ParseInitError {
                message: format!("`{}` is not a number", value.trim()),
            })
        };
        let argument = if inside.is_empty() {
            InitArgument::Absent
        } else if inside.contains(',') {
            InitArgument::Several
        } else if let Some((key, value)) = inside.split_once('=') {
            InitArgument::Named(key.trim(), number(value)?)
        } else {
            InitArgument::Positional(number(inside)?)
        };
        let init = Init::from_call(name, argument).map_err(|error| ParseInitError {
            message: error.to_string(),
        })?;
        match init.invalid_scale() {
            Some((what, value)) => fail(Init::invalid_scale_message(what, value)),
            None => Ok(init),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inits_parse_from_their_dsl_spelling() {
        for init in [
            Init::he_uniform(),
            Init::xavier_normal(),
            Init::Normal { std: 0.01 },
            Init::TruncatedNormal { std: 0.5 },
            Init::Uniform { bound: 0.2 },
            Init::Constant { value: -0.25 },
            Init::ones(),
            Init::Orthogonal { gain: None },
        ] {
            assert_eq!(init.to_string().parse::<Init>(), Ok(init), "{init}");
        }
        assert!("normal".parse::<Init>().is_err());
        assert!("normal(bound = 1)".parse::<Init>().is_err());
        assert!("uniform(bound = -1)".parse::<Init>().is_err());
        assert!("he_normal(2)".parse::<Init>().is_err());
    }

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
