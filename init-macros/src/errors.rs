//! Collecting every error of one invocation, so all are reported at once.

use proc_macro2::{Span, TokenStream};

/// The errors found so far. Parsing and checking go on after an error;
/// the expansion reports them all together.
#[derive(Default)]
pub struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    /// Record an error at `span`: what is wrong, then how to fix it.
    pub fn at(&mut self, span: Span, message: impl AsRef<str>, help: impl AsRef<str>) {
        self.push(syn::Error::new(
            span,
            format!("{}\nhelp: {}", message.as_ref(), help.as_ref()),
        ));
    }

    /// Record an error built elsewhere (a syntax error from syn).
    pub fn push(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// One `compile_error!` per error, each at its own span.
    pub fn into_compile_errors(self) -> TokenStream {
        self.errors
            .into_iter()
            .map(|error| error.to_compile_error())
            .collect()
    }
}

/// `unknown activation `rleu`; did you mean `relu`?`, plus the valid names
/// as the help line.
pub fn unknown_name(errors: &mut Errors, what: &str, found: &str, span: Span, valid: &[&str]) {
    let guess = init_core::names::closest(found, valid)
        .map(|name| format!("; did you mean `{name}`?"))
        .unwrap_or_default();
    let plural = if valid.len() == 1 { "" } else { "s" };
    errors.at(
        span,
        format!("unknown {what} `{found}`{guess}"),
        format!(
            "the {what}{plural} netinit knows: {}",
            init_core::names::list(valid)
        ),
    );
}
