//! Tokens to [`Invocation`]: the grammar of DESIGN.md, read with
//! `syn`. A mistake inside one layer's parentheses is recorded and the next
//! layer is still read, so one compile reports every layer's mistakes.

use proc_macro2::{Spacing, TokenStream, TokenTree};
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitFloat, LitInt, Token};

use crate::rules::dsl::ast::{
    Arg, Body, Call, Invocation, Item, Layer, LayerOption, LayerSlot, LintAttr, Name, Number, OptionValue,
    Width,
};
use crate::rules::dsl::report::{unknown_name, Reports};
use crate::rules::dsl::syntax::Form;
use crate::rules::keywords::{self, LEVELS};
use crate::rules::layer::{self, Marker};
use crate::rules::limits::MAX_LITERAL;
use crate::rules::suggest;

/// Read the invocation in the form [`looks_like_item`] chose; `None` when
/// not even its outline could be read (the reason is in `reports`).
pub fn invocation(tokens: TokenStream, item_form: bool, reports: &mut Reports) -> Option<Invocation> {
    let parser = |input: ParseStream| {
        if item_form {
            read_item(input, reports)
        } else {
            read_expression(input, reports)
        }
    };
    match parser.parse2(tokens) {
        Ok(invocation) => Some(invocation),
        Err(error) => {
            reports.syntax(error);
            None
        }
    }
}

/// Whether the tokens are the item form (`#[…] pub struct …`) rather than
/// the expression form (`#![…] dense(…), …`), judged from the outline alone
/// so that errors can be emitted in the right position even when nothing
/// more can be read.
pub fn looks_like_item(tokens: &TokenStream) -> bool {
    use proc_macro2::TokenTree;
    let mut tokens = tokens.clone().into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            TokenTree::Punct(punct) if punct.as_char() == '#' => {
                if matches!(tokens.peek(), Some(TokenTree::Punct(p)) if p.as_char() == '!') {
                    return false;
                }
                tokens.next();
            }
            TokenTree::Ident(ident) => return ident == "pub" || ident == "struct",
            _ => return false,
        }
    }
    false
}

/// `#![lints] layers`.
fn read_expression(input: ParseStream, reports: &mut Reports) -> syn::Result<Invocation> {
    let body_span = input.span();
    let inner = input.call(Attribute::parse_inner)?;
    let attrs = lint_attrs(&inner, reports);
    let layers = read_layers(input, reports)?;
    Ok(Invocation {
        item: None,
        attrs,
        layers,
        body_span,
    })
}

/// `#[attrs] vis struct Name { #![lints] layers }`.
fn read_item(input: ParseStream, reports: &mut Reports) -> syn::Result<Invocation> {
    let outer = input.call(Attribute::parse_outer)?;
    let vis = input.parse()?;
    input.parse::<Token![struct]>()?;
    let name: Ident = input.parse().map_err(|error| {
        syn::Error::new(
            error.span(),
            "expected the network's name after `struct`, as in `pub struct Mnist { … }`",
        )
    })?;
    let content;
    syn::braced!(content in input);
    let body_span = name.span();
    let inner = content.call(Attribute::parse_inner)?;
    let (mut attrs, passed_on) = split_item_attrs(outer, reports);
    attrs.extend(lint_attrs(&inner, reports));
    let layers = read_layers(&content, reports)?;
    if !input.is_empty() {
        return Err(
            input.error("unexpected tokens after the network's `{ … }`: one `network!` declares one struct")
        );
    }
    Ok(Invocation {
        item: Some(Item {
            attrs: passed_on,
            vis,
            name,
        }),
        attrs,
        layers,
        body_span,
    })
}

/// Layers separated by commas, a trailing comma allowed.
fn read_layers(input: ParseStream, reports: &mut Reports) -> syn::Result<Vec<LayerSlot>> {
    let mut layers = Vec::new();
    while !input.is_empty() {
        read_layer(input, reports, &mut layers)?;
        if input.is_empty() {
            break;
        }
        if !input.peek(Token![,]) {
            return Err(input.error("expected `,` between layers"));
        }
        input.parse::<Token![,]>()?;
    }
    Ok(layers)
}

/// Whether the parentheses that come next hold `->` at their top level.
fn arrow_inside(input: ParseStream) -> bool {
    let Ok(group) = input.fork().parse::<proc_macro2::Group>() else {
        return false;
    };
    let tokens: Vec<TokenTree> = group.stream().into_iter().collect();
    tokens.windows(2).any(|pair| match pair {
        [TokenTree::Punct(minus), TokenTree::Punct(greater)] => {
            minus.as_char() == '-' && minus.spacing() == Spacing::Joint && greater.as_char() == '>'
        }
        _ => false,
    })
}

/// One layer, pushed onto `layers` (a residual block as its markers and
/// layers, flat).
fn read_layer(input: ParseStream, reports: &mut Reports, layers: &mut Vec<LayerSlot>) -> syn::Result<()> {
    let attrs = input.call(Attribute::parse_outer)?;
    let kind: Ident = input.parse().map_err(|error| {
        syn::Error::new(
            error.span(),
            "expected a layer, such as `dense(784 -> 256, relu)`",
        )
    })?;
    let name = kind.to_string();
    let form = layer::syntax(&name).map(|syntax| syntax.form);
    let bare = form == Some(Form::Bare);
    // An activation, or a name that is no layer kind written alone
    // (which the model reports, with the names it may have meant).
    let activation = form == Some(Form::Call)
        || (form.is_none() && name != keywords::RESIDUAL && !input.peek(syn::token::Paren));
    let attrs = lint_attrs(&attrs, reports);
    if name == keywords::RESIDUAL && input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in input);
        return read_block(&content, &kind, attrs, reports, layers);
    }
    let layer = |body| {
        LayerSlot::Read(Box::new(Layer {
            attrs,
            kind: Name::from_ident(&kind),
            body,
        }))
    };
    // A name that is no kind, or an activation given widths (`linear(784
    // -> 10)`), with arguments: whatever they hold is passed over whole.
    let widths_after_activation =
        form == Some(Form::Call) && input.peek(syn::token::Paren) && arrow_inside(input);
    if (form.is_none() && input.peek(syn::token::Paren)) || widths_after_activation {
        input.parse::<proc_macro2::Group>()?;
        layers.push(layer(Body::Unknown));
        return Ok(());
    }
    if activation {
        match read_arguments(&kind, input) {
            Ok(call) => layers.push(layer(Body::Activation(call))),
            Err(error) => {
                reports.syntax(error);
                layers.push(LayerSlot::Unreadable(kind.span()));
            }
        }
    } else if !input.peek(syn::token::Paren) {
        if !bare {
            return Err(syn::Error::new(
                kind.span(),
                format!(
                    "expected `(` after `{kind}`: a layer is written {}",
                    example(&name)
                ),
            ));
        }
        layers.push(layer(Body::Bare));
    } else {
        let content;
        let parens = syn::parenthesized!(content in input);
        let body = if bare {
            if !content.is_empty() {
                reports.at(
                    parens.span.join(),
                    format!("`{name}` takes no arguments"),
                    format!("write `{name}`"),
                );
                content.parse::<TokenStream>()?;
            }
            Ok(Body::Bare)
        } else if form == Some(Form::Map) {
            read_map_body(&content, &name, reports).map(|(inputs, outputs, options)| Body::Map {
                inputs,
                outputs,
                options,
            })
        } else if form == Some(Form::Sizes) {
            read_sizes_body(&content, &name, reports).map(|(sizes, options)| Body::Sizes {
                sizes,
                options,
                parens: parens.span.join(),
            })
        } else {
            read_layer_body(&content, reports).map(|(inputs, outputs, activation, options)| Body::Affine {
                inputs,
                outputs,
                activation,
                options,
            })
        };
        match body {
            Ok(body) => layers.push(layer(body)),
            Err(error) => {
                reports.syntax(error);
                layers.push(LayerSlot::Unreadable(kind.span()));
                // The rest of this layer is unreadable; skip it so the next
                // layer is still checked.
                content.parse::<TokenStream>()?;
            }
        }
    }
    Ok(())
}

/// `residual(LAYER, …[, shortcut = LAYER | (LAYER, …)][, scale = none])`
/// as its start, its branch, its shortcut and its end.
fn read_block(
    content: ParseStream,
    kind: &Ident,
    attrs: Vec<LintAttr>,
    reports: &mut Reports,
    layers: &mut Vec<LayerSlot>,
) -> syn::Result<()> {
    let marker = |attrs, name: &Ident, marker| {
        LayerSlot::Read(Box::new(Layer {
            attrs,
            kind: Name::from_ident(name),
            body: Body::Marker(marker),
        }))
    };
    let mut branch = Vec::new();
    let mut shortcut: Option<(Ident, Vec<LayerSlot>)> = None;
    let mut scaled = true;
    let mut options_begun = false;
    while !content.is_empty() {
        if content.peek(Ident) && content.peek2(Token![=]) {
            options_begun = true;
            let key: Ident = content.parse()?;
            content.parse::<Token![=]>()?;
            match key.to_string().as_str() {
                keywords::SHORTCUT if shortcut.is_some() => {
                    return Err(syn::Error::new(key.span(), "a residual block has one `shortcut`"));
                }
                keywords::SHORTCUT => {
                    let mut slots = Vec::new();
                    if content.peek(syn::token::Paren) {
                        let inner;
                        syn::parenthesized!(inner in content);
                        slots = read_layers(&inner, reports)?;
                    } else {
                        read_layer(content, reports, &mut slots)?;
                    }
                    shortcut = Some((key, slots));
                }
                keywords::SCALE => {
                    let value: Ident = content.parse()?;
                    match value.to_string().as_str() {
                        keywords::NONE => scaled = false,
                        keywords::DERIVED => scaled = true,
                        other => reports.at(
                            value.span(),
                            format!("`scale` takes `none` or `derived`, not `{}`", suggest::shortened(other)),
                            "write `scale = none` to keep the inits the branch names, or leave `scale` out for \
                             the derived branch scaling",
                        ),
                    }
                }
                other => {
                    let (message, help) =
                        suggest::unknown("residual block option", other, keywords::RESIDUAL_OPTIONS);
                    reports.at(key.span(), message, help);
                    // Its value is skipped, so the next option is still read.
                    while !content.is_empty() && !content.peek(Token![,]) {
                        content.parse::<proc_macro2::TokenTree>()?;
                    }
                }
            }
        } else if options_begun {
            return Err(content.error(
                "a residual block's layers come before its options: write `residual(LAYER, …, shortcut = …)`",
            ));
        } else {
            read_layer(content, reports, &mut branch)?;
        }
        if content.is_empty() {
            break;
        }
        if !content.peek(Token![,]) {
            return Err(content.error("expected `,` between a residual block's layers"));
        }
        content.parse::<Token![,]>()?;
    }
    layers.push(marker(attrs, kind, Marker::Start { scaled }));
    layers.append(&mut branch);
    if let Some((key, mut slots)) = shortcut {
        layers.push(marker(Vec::new(), &key, Marker::Shortcut));
        layers.append(&mut slots);
    }
    layers.push(marker(Vec::new(), kind, Marker::End));
    Ok(())
}

/// How a layer of kind `name` is written, for the messages (a name that
/// is no kind is taken for a dense layer).
fn example(name: &str) -> &'static str {
    match (name, layer::syntax(name)) {
        (keywords::RESIDUAL, _) => "`residual(LAYER, …)`",
        (_, Some(syntax)) => syntax.example,
        (_, None) => {
            layer::syntax(keywords::DENSE).map_or("`dense(IN -> OUT, ACTIVATION)`", |dense| dense.example)
        }
    }
}

type LayerBody = (Width, Width, Call, Vec<LayerOption>);

/// `N [, N]* [, key = value]* [,]`: the sizes of `input(…)` or a pooling's kernel, then options.
fn read_sizes_body(
    input: ParseStream,
    name: &str,
    reports: &mut Reports,
) -> syn::Result<(Vec<Width>, Vec<LayerOption>)> {
    let mut sizes = Vec::new();
    if input.is_empty() {
        return Err(input.error(format!("`{name}` needs its sizes, as in {}", example(name))));
    }
    // Options alone: `input(tokens = 64)`.
    if input.peek(Ident) && input.peek2(Token![=]) {
        let mut options = vec![read_option(input)?];
        options.extend(read_options(input)?);
        return Ok((sizes, options));
    }
    loop {
        sizes.push(read_size(input, reports)?);
        if input.is_empty() {
            break;
        }
        if !input.peek(Token![,]) {
            return Err(input.error("expected `,` between the sizes"));
        }
        // `, key = …` begins the options.
        if input.peek2(Ident) {
            break;
        }
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            break;
        }
    }
    Ok((sizes, read_options(input)?))
}

/// `IN -> OUT, ACTIVATION [, key = value]* [,]`.
fn read_layer_body(input: ParseStream, reports: &mut Reports) -> syn::Result<LayerBody> {
    if input.is_empty() {
        return Err(input.error("a layer needs its widths and activation, as in `dense(784 -> 256, relu)`"));
    }
    let inputs = read_width(input, "input", reports)?;
    if !input.peek(Token![->]) {
        return Err(input.error("expected `->` between the input and output widths, as in `784 -> 256`"));
    }
    input.parse::<Token![->]>()?;
    let outputs = read_width(input, "output", reports)?;
    if !input.peek(Token![,]) {
        return Err(input.error("expected `,` and the activation after the widths, as in `784 -> 256, relu`"));
    }
    input.parse::<Token![,]>()?;
    if !input.peek(Ident) {
        return Err(input.error("expected an activation, such as `relu`, `tanh` or `softmax`"));
    }
    let activation = read_call(input)?;
    let options = read_options(input)?;
    Ok((inputs, outputs, activation, options))
}

/// `IN -> OUT [, key = value]* [,]`: an embedding's sizes and options.
fn read_map_body(
    input: ParseStream,
    name: &str,
    reports: &mut Reports,
) -> syn::Result<(Width, Width, Vec<LayerOption>)> {
    if input.is_empty() {
        return Err(input.error(format!("`{name}` needs its sizes, as in {}", example(name))));
    }
    let inputs = read_size(input, reports)?;
    if !input.peek(Token![->]) {
        return Err(input.error(format!(
            "expected `->` between the two sizes, as in {}",
            example(name)
        )));
    }
    input.parse::<Token![->]>()?;
    let outputs = read_size(input, reports)?;
    Ok((inputs, outputs, read_options(input)?))
}

/// `[, key = value]* [,]` up to the end of `input`.
fn read_options(input: ParseStream) -> syn::Result<Vec<LayerOption>> {
    let mut options = Vec::new();
    while !input.is_empty() {
        if !input.peek(Token![,]) {
            return Err(input.error("expected `,` before the next option"));
        }
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            break;
        }
        options.push(read_option(input)?);
    }
    Ok(options)
}

/// `key = value`.
fn read_option(input: ParseStream) -> syn::Result<LayerOption> {
    let key: Ident = input.parse().map_err(|error| {
        syn::Error::new(
            error.span(),
            "expected an option, such as `init = he_uniform` or `gain = 1.0`",
        )
    })?;
    if !input.peek(Token![=]) {
        return Err(input.error(format!("expected `=` after `{key}`, as in `{key} = …`")));
    }
    input.parse::<Token![=]>()?;
    Ok(LayerOption {
        key: Name::from_ident(&key),
        value: read_option_value(input)?,
    })
}

/// A call (`he_uniform`, `normal(std = 0.1)`, `fan_out`), a number, or
/// numbers in parentheses (`(3, 5)`).
fn read_option_value(input: ParseStream) -> syn::Result<OptionValue> {
    Ok(if input.peek(Ident) {
        OptionValue::Call(read_call(input)?)
    } else if input.peek(syn::token::Paren) {
        let content;
        let parens = syn::parenthesized!(content in input);
        let numbers = Punctuated::<Number, Token![,]>::parse_terminated_with(&content, read_number)?;
        OptionValue::Tuple(numbers.into_iter().collect(), parens.span.join())
    } else {
        OptionValue::Number(read_number(input)?)
    })
}

/// An activation alone, as `"leaky_relu(0.01)".parse::<Activation>()` reads it.
pub fn activation(tokens: TokenStream) -> syn::Result<Call> {
    let read = |input: ParseStream| {
        if !input.peek(Ident) {
            return Err(input.error("expected an activation, such as `relu`, `tanh` or `softmax`"));
        }
        let call = read_call(input)?;
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the activation"));
        }
        Ok(call)
    };
    read.parse2(tokens)
}

/// An init and the options that adjust it, `he_uniform, gain = 1.2`, as
/// `"…".parse::<Init>()` reads it.
pub fn init(tokens: TokenStream) -> syn::Result<(OptionValue, Vec<LayerOption>)> {
    let read = |input: ParseStream| {
        if input.is_empty() {
            return Err(input.error("expected an init, such as `he_normal` or `normal(std = 0.01)`"));
        }
        let value = read_option_value(input)?;
        Ok((value, read_options(input)?))
    };
    read.parse2(tokens)
}

/// A whole, positive width. Malformed ones are recorded and read on, so the
/// rest of the layer is still checked.
fn read_width(input: ParseStream, side: &str, reports: &mut Reports) -> syn::Result<Width> {
    let words = Words {
        expected: format!("expected the {side} width, a whole number such as `256`"),
        negative: format!("a layer's {side} width cannot be negative"),
        negative_help: "write the number of units",
        counts: "a width counts units",
    };
    read_whole(input, &words, reports)
}

/// A whole, positive size of `input(…)` or a pooling's kernel.
fn read_size(input: ParseStream, reports: &mut Reports) -> syn::Result<Width> {
    let words = Words {
        expected: "expected a size, a whole number such as `28`".into(),
        negative: "a size cannot be negative".into(),
        negative_help: "write the number of features, channels, rows or columns",
        counts: "a size counts features, channels, rows or columns",
    };
    read_whole(input, &words, reports)
}

/// What the messages about a whole number call it.
struct Words {
    expected: String,
    negative: String,
    negative_help: &'static str,
    counts: &'static str,
}

/// A whole, positive number, its mistakes in `words`' terms.
fn read_whole(input: ParseStream, words: &Words, reports: &mut Reports) -> syn::Result<Width> {
    let hint = words.expected.clone();
    if input.peek(Token![-]) {
        let minus: Token![-] = input.parse()?;
        reports.at(minus.spans[0], words.negative.clone(), words.negative_help);
        let _ = read_number(input)?;
        return Ok(Width {
            value: None,
            span: minus.spans[0],
        });
    }
    not_too_long(input, "a whole number this size has no more than 20 digits")?;
    if input.peek(LitFloat) {
        let literal: LitFloat = input.parse()?;
        reports.at(
            literal.span(),
            format!("{}, so it is a whole number; found `{literal}`", words.counts),
            "write it without a fractional part, e.g. `256`",
        );
        return Ok(Width {
            value: None,
            span: literal.span(),
        });
    }
    let literal: LitInt = input
        .parse()
        .map_err(|error| syn::Error::new(error.span(), hint))?;
    // `64x` is one token, whose digits alone would be read.
    if !literal.suffix().is_empty() {
        reports.at(
            literal.span(),
            format!(
                "`{literal}` is no whole number: `{}` follows its digits",
                literal.suffix()
            ),
            format!("write `{}`", literal.base10_digits()),
        );
        return Ok(Width {
            value: None,
            span: literal.span(),
        });
    }
    let value = match literal.base10_parse::<u64>() {
        Ok(value) => Some(value),
        Err(_) => {
            reports.at(
                literal.span(),
                format!(
                    "width `{}` does not fit in 64 bits",
                    suggest::shortened(&literal.to_string())
                ),
                "use a smaller width",
            );
            None
        }
    };
    Ok(Width {
        value,
        span: literal.span(),
    })
}

/// The error for a number with letters after its digits (`0.5x`, one
/// token), whose digits alone would be read.
fn no_suffix(suffix: &str, digits: &str, span: proc_macro2::Span) -> syn::Result<()> {
    match suffix {
        "" => Ok(()),
        _ => Err(syn::Error::new(
            span,
            format!("`{digits}{suffix}` is no number: `{suffix}` follows its digits; write `{digits}`"),
        )),
    }
}

/// An error, saying `fix`, when the next token is a literal longer than
/// [`MAX_LITERAL`] characters. syn reads a number's digits into a big
/// integer whose every step walks the digits so far, so a number of
/// 100,000 digits took 20 s; no width or scale needs more than a few
/// dozen characters (a plainly written `1e-308` a few hundred).
fn not_too_long(input: ParseStream, fix: &str) -> syn::Result<()> {
    let Some((literal, _)) = input.cursor().literal() else {
        return Ok(());
    };
    let text = literal.to_string();
    let length = text.chars().count();
    if length <= MAX_LITERAL {
        return Ok(());
    }
    Err(syn::Error::new(
        literal.span(),
        format!(
            "`{}` is {length} characters long, and netinit reads numbers of at most {MAX_LITERAL} \
             characters; {fix}",
            suggest::shortened(&text)
        ),
    ))
}

/// `-`? then an integer or float literal.
fn read_number(input: ParseStream) -> syn::Result<Number> {
    let negative = input.peek(Token![-]);
    if negative {
        input.parse::<Token![-]>()?;
    }
    not_too_long(input, "write it with an exponent, e.g. `1e-30`")?;
    let (magnitude, span) = if input.peek(LitFloat) {
        let literal: LitFloat = input.parse()?;
        no_suffix(literal.suffix(), literal.base10_digits(), literal.span())?;
        (literal.base10_parse::<f64>()?, literal.span())
    } else if input.peek(LitInt) {
        let literal: LitInt = input.parse()?;
        no_suffix(literal.suffix(), literal.base10_digits(), literal.span())?;
        (literal.base10_parse::<f64>()?, literal.span())
    } else {
        return Err(input.error("expected a number, such as `0.01`"));
    };
    Ok(Number {
        value: if negative { -magnitude } else { magnitude },
        span,
    })
}

/// `name` or `name(arg, key = arg, …)`.
fn read_call(input: ParseStream) -> syn::Result<Call> {
    let name: Ident = input.parse()?;
    read_arguments(&name, input)
}

/// The call `name` whose name is read: its arguments, when parentheses follow.
fn read_arguments(name: &Ident, input: ParseStream) -> syn::Result<Call> {
    let mut args = Vec::new();
    let mut parens = None;
    if input.peek(syn::token::Paren) {
        let content;
        let paren = syn::parenthesized!(content in input);
        parens = Some(paren.span.join());
        while !content.is_empty() {
            if content.peek(Ident) && content.peek2(Token![=]) {
                let key: Ident = content.parse()?;
                content.parse::<Token![=]>()?;
                args.push(Arg::Named {
                    key: Name::from_ident(&key),
                    value: read_number(&content)?,
                });
            } else {
                args.push(Arg::Positional(read_number(&content)?));
            }
            if content.is_empty() {
                break;
            }
            content.parse::<Token![,]>()?;
        }
    }
    Ok(Call {
        name: Name::from_ident(name),
        args,
        parens,
    })
}

/// The lint attributes among `attrs`; doc comments are accepted and
/// ignored; anything else is an error.
fn lint_attrs(attrs: &[Attribute], reports: &mut Reports) -> Vec<LintAttr> {
    let mut lints = Vec::new();
    for attr in attrs {
        let Some(level) = attr.path().get_ident() else {
            reports.at(
                syn::spanned::Spanned::span(attr.path()),
                "only lint attributes go inside `network!`",
                "write `#[allow(…)]`, `#[warn(…)]` or `#[deny(…)]` with netinit's lint names",
            );
            continue;
        };
        if level == "doc" {
            continue;
        }
        let text = level.to_string();
        if !LEVELS.contains(&text.as_str()) {
            if suggest::closest(&text, LEVELS).is_some() {
                unknown_name(reports, "lint level", &text, level.span(), LEVELS);
            } else {
                reports.at(
                    level.span(),
                    format!("`#[{text}]` is not supported inside `network!`"),
                    "only lint attributes (`allow`, `warn`, `deny`, `forbid`) and doc comments go here",
                );
            }
            continue;
        }
        match attr.parse_args_with(Punctuated::<Ident, Token![,]>::parse_terminated) {
            Ok(names) => lints.push(LintAttr {
                level: Name::from_ident(level),
                lints: names.iter().map(Name::from_ident).collect(),
            }),
            Err(error) => reports.syntax(error),
        }
    }
    lints
}

/// The item form's outer attributes: lint attributes naming netinit's lints
/// are ours; everything else (doc comments, derives, rustc's own lints) is
/// passed on to the generated struct.
fn split_item_attrs(attrs: Vec<Attribute>, reports: &mut Reports) -> (Vec<LintAttr>, Vec<Attribute>) {
    let mut ours = Vec::new();
    let mut passed_on = Vec::new();
    for attr in attrs {
        let Some(level_ident) = attr.path().get_ident().cloned() else {
            passed_on.push(attr);
            continue;
        };
        if !LEVELS.contains(&level_ident.to_string().as_str()) {
            passed_on.push(attr);
            continue;
        }
        let Ok(names) = attr.parse_args_with(Punctuated::<Ident, Token![,]>::parse_terminated) else {
            passed_on.push(attr);
            continue;
        };
        // A name close to one of ours is ours, misspelt: it gets a
        // did-you-mean rather than rustc's "unknown lint".
        let (mine, theirs): (Vec<Ident>, Vec<Ident>) = names
            .into_iter()
            .partition(|name| suggest::closest(&name.to_string(), keywords::LINTS).is_some());
        if !mine.is_empty() {
            ours.extend(lint_attrs(
                &[syn::parse_quote!(#[#level_ident(#(#mine),*)])],
                reports,
            ));
        }
        if !theirs.is_empty() {
            passed_on.push(syn::parse_quote!(#[#level_ident(#(#theirs),*)]));
        }
    }
    (ours, passed_on)
}
