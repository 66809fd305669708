//! Each pass case reads its own networks back from its source text at run
//! time and checks that the run-time reader gives the macro's specs.

use ::std::iter::Iterator;

#[path = "../../../support/invocations.rs"]
mod invocations;

/// The networks written in `source`, read at run time, in order, equal `specs`.
pub fn assert_same(source: &str, specs: &[::netinit::NetworkSpec]) {
    let texts = invocations::invocations(source);
    ::std::assert_eq!(texts.len(), specs.len(), "one spec per `network!` in the source");
    for (invocation, spec) in texts.iter().zip(specs) {
        let read: ::netinit::NetworkSpec = match invocation.text.parse() {
            ::std::result::Result::Ok(read) => read,
            ::std::result::Result::Err(error) => ::std::panic!("{}\n{error}", invocation.text),
        };
        ::std::assert_eq!(&read, spec, "{}", invocation.text);
    }
}
