//! The `#[filch::main]` and `#[filch::test]` attributes of the [filch] async runtime.
//!
//! Use them through the facade crate, `filch`; this crate is an implementation detail and the code
//! it generates names the runtime only through `::filch::__private`, so a program needs no other
//! dependency than `filch`.
//!
//! Both attributes turn an `async fn` into an ordinary function that builds a runtime (reading
//! `FILCH_WORKER_THREADS` and `FILCH_MAX_BLOCKING_THREADS` from the environment) and runs the body
//! to completion with `block_on`. The arguments:
//!
//! * `flavor = "current_thread"` or `flavor = "multi_thread"`: which runtime
//!   (`Builder::new_current_thread` or `Builder::new_multi_thread`). The default is
//!   `multi_thread` for `#[filch::main]` and `current_thread` for `#[filch::test]`, as in tokio.
//! * `worker_threads = N`: the worker count of a multi-thread runtime; it takes precedence over
//!   the environment. Given without `flavor`, it implies `flavor = "multi_thread"` (tokio
//!   rejects that instead; there is only one thing it can mean). With
//!   `flavor = "current_thread"` it is a compile error: that runtime has no workers.
//! * `start_paused = <bool>`: starts the runtime with its clock paused
//!   (`Builder::start_paused`, current-thread runtimes only).
//!
//! The expansion builds the runtime as
//!
//! ```text
//! let mut builder = ::filch::__private::Builder::new_current_thread(); // or new_multi_thread()
//! builder.worker_threads(N);                                            // when given
//! ::filch::__private::runtime_for_main(&mut builder)                    // or runtime_for_test
//! ```
//!
//! so that an argument that maps to one more builder call (the test clock's `start_paused`)
//! adds a field to `Config`, a branch in `parse_args` and one statement in `builder_calls`.
//!
//! The argument parsing and the shape checks follow the ideas of `tokio-macros`; the code is
//! filch's own.
//!
//! [filch]: https://docs.rs/filch

#![forbid(unsafe_code)]

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, ItemFn, Lit, Meta, Token};

/// Runs an `async fn main` on a filch runtime.
///
/// The attribute turns `async fn main()` into an ordinary `fn main()` that builds a runtime with
/// `filch::runtime::Builder` (so `FILCH_WORKER_THREADS` and `FILCH_MAX_BLOCKING_THREADS` are read
/// from the environment) and runs the body with `Runtime::block_on`. `main` may return what a
/// synchronous `main` may: `()`, `Result<(), E>` with `E: Debug`, `std::process::ExitCode`.
///
/// ```
/// #[filch::main]
/// async fn main() {
///     let answer = filch::spawn(async { 6 * 7 }).await.unwrap();
///     assert_eq!(answer, 42);
/// }
/// ```
///
/// # Arguments
///
/// `flavor = "multi_thread"` (the default) or `flavor = "current_thread"` chooses the runtime:
/// a pool of worker threads, or every task on the thread that runs `main`.
///
/// `start_paused = true` starts the runtime with its clock paused
/// (`filch::runtime::Builder::start_paused`, feature `time`): only a current-thread runtime can
/// pause its clock; on any other the runtime cannot be built (see below). `start_paused = false`
/// is the default.
///
/// ```
/// #[filch::main(flavor = "current_thread")]
/// async fn main() {
///     let main_thread = std::thread::current().id();
///     let ran_on = filch::spawn(async { std::thread::current().id() }).await.unwrap();
///     assert_eq!(ran_on, main_thread);
/// }
/// ```
///
/// `worker_threads = N` fixes the number of worker threads of a multi-thread runtime; it takes
/// precedence over `FILCH_WORKER_THREADS`. `N` must be an integer literal of at least 1. Without
/// `flavor` it implies `flavor = "multi_thread"`; with `flavor = "current_thread"` it is a
/// compile error (that runtime has no worker threads).
///
/// ```
/// #[filch::main(flavor = "multi_thread", worker_threads = 2)]
/// async fn main() -> Result<(), std::io::Error> {
///     let handle = filch::runtime::Handle::current();
///     assert_eq!(handle.worker_threads(), 2);
///     Ok(())
/// }
/// ```
///
/// # When the runtime cannot be built
///
/// If the runtime cannot be built (for example `FILCH_WORKER_THREADS=abc`), the program prints
/// `error: ` followed by the builder's message to standard error and exits with status 1, without
/// a panic message or backtrace.
///
/// # Misuse
///
/// Applying the attribute to a function that is not `async`, that takes parameters or is
/// generic, or passing an unknown argument, an unknown flavor, `worker_threads = 0` or
/// `worker_threads` with `flavor = "current_thread"`, is a compile error that points at the
/// problem.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Main, args.into(), item.into()).into()
}

/// Runs an `async fn` test on a filch runtime of its own.
///
/// The attribute generates the `#[test]` attribute itself; do not add one. Each test builds a
/// fresh runtime and drops it when the test ends, so tasks left running by one test cannot
/// disturb another. A test may return `()` or `Result<(), E>` with `E: Debug`.
///
/// Without arguments the runtime is a **current-thread** runtime, as with `#[tokio::test]`:
/// every task of the test runs on the test's own thread. `flavor = "multi_thread"` (with or
/// without `worker_threads = N`), or `worker_threads = N` alone, gives a multi-thread runtime;
/// the arguments work as for `#[filch::main]`.
///
/// `start_paused = true` starts the test's runtime with its clock paused, so that timers complete
/// in virtual time (`filch::time::pause`; "Testing with a paused clock" in `docs/testing.md`).
/// Only a current-thread runtime can pause its clock; on any other the test fails with the
/// builder's error.
///
/// ```
/// #[filch::test]
/// async fn spawned_tasks_complete() {
///     let handle = filch::spawn(async { "done" });
///     assert_eq!(handle.await.unwrap(), "done");
/// }
///
/// #[filch::test(flavor = "multi_thread", worker_threads = 2)]
/// async fn on_two_workers() {
///     assert_eq!(filch::runtime::Handle::current().worker_threads(), 2);
/// }
/// # fn main() {}
/// ```
///
/// If the runtime cannot be built, the test fails with a panic whose message begins `error: `
/// and carries the builder's message.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Test, args.into(), item.into()).into()
}

/// Which attribute is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Main,
    Test,
}

impl Kind {
    /// The attribute as the user wrote it, for error messages.
    fn name(self) -> &'static str {
        match self {
            Kind::Main => "#[filch::main]",
            Kind::Test => "#[filch::test]",
        }
    }
}

/// Which runtime the attribute builds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Flavor {
    CurrentThread,
    MultiThread,
}

impl Flavor {
    /// The default: tokio's (`multi_thread` for `main`, `current_thread` for tests).
    fn default_for(kind: Kind) -> Flavor {
        match kind {
            Kind::Main => Flavor::MultiThread,
            Kind::Test => Flavor::CurrentThread,
        }
    }
}

/// The parsed attribute arguments.
#[derive(Default)]
struct Config {
    /// `flavor = "..."`, if given.
    flavor: Option<Flavor>,
    /// `worker_threads = N`, already checked to be at least 1.
    worker_threads: Option<usize>,
    /// `start_paused = <bool>`.
    start_paused: Option<bool>,
}

impl Config {
    /// The flavor to build: the one given, else multi_thread if `worker_threads` was given,
    /// else the attribute's default.
    fn flavor(&self, kind: Kind) -> Flavor {
        match (self.flavor, self.worker_threads) {
            (Some(flavor), _) => flavor,
            (None, Some(_)) => Flavor::MultiThread,
            (None, None) => Flavor::default_for(kind),
        }
    }
}

/// What `parse_args` says about an unknown argument: every argument it accepts.
const ARGUMENTS: &str = "the arguments are `flavor = \"current_thread\"` or \
     `flavor = \"multi_thread\"`, `worker_threads = N` and `start_paused = <bool>`";

/// Expands one attribute. On misuse, returns `compile_error!`s spanned at the problem together
/// with a stand-in that keeps the rest of the program from producing follow-on errors.
fn expand(kind: Kind, args: TokenStream2, item: TokenStream2) -> TokenStream2 {
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            // Not a function at all (a struct, a closure...): say so at the attribute's item and
            // hand the tokens back unchanged so rustc can still report its own errors about them.
            let error = syn::Error::new(
                Span::call_site(),
                format!("{} can only be applied to an `async fn`", kind.name()),
            );
            let error = error.to_compile_error();
            return quote! { #error #item };
        }
    };

    let mut errors: Option<syn::Error> = None;
    let mut push = |error: syn::Error| match &mut errors {
        Some(all) => all.combine(error),
        None => errors = Some(error),
    };

    let config = match parse_args(kind, args) {
        Ok(config) => config,
        Err(error) => {
            push(error);
            Config::default()
        }
    };
    for error in check_signature(kind, &function) {
        push(error);
    }

    match errors {
        None => generate(kind, &config, function),
        Some(errors) => {
            let errors = errors.to_compile_error();
            let stand_in = stand_in(kind, &function);
            quote! { #errors #stand_in }
        }
    }
}

/// Parses `flavor = "..."`, `worker_threads = N` and `start_paused = <bool>`, and checks that
/// they fit together.
fn parse_args(kind: Kind, args: TokenStream2) -> syn::Result<Config> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
    let mut config = Config::default();
    let mut errors: Option<syn::Error> = None;
    let mut push = |error: syn::Error| match &mut errors {
        Some(all) => all.combine(error),
        None => errors = Some(error),
    };
    let mut seen_flavor = false;
    let mut seen_worker_threads = None;

    for meta in metas {
        let path = meta.path();
        let name = path.to_token_stream().to_string().replace(' ', "");
        let seen = match name.as_str() {
            "flavor" => &mut seen_flavor,
            "worker_threads" => {
                if seen_worker_threads.is_none() {
                    seen_worker_threads = Some(path.clone());
                    match worker_threads_value(&meta) {
                        Ok(n) => config.worker_threads = Some(n),
                        Err(error) => push(error),
                    }
                } else {
                    push(syn::Error::new_spanned(
                        path,
                        "`worker_threads` is given more than once; keep one",
                    ));
                }
                continue;
            }
            "start_paused" => {
                if config.start_paused.is_some() {
                    push(syn::Error::new_spanned(
                        path,
                        "`start_paused` is given more than once; keep one",
                    ));
                    continue;
                }
                match start_paused_value(&meta) {
                    Ok(paused) => config.start_paused = Some(paused),
                    Err(error) => push(error),
                }
                continue;
            }
            _ => {
                push(syn::Error::new_spanned(
                    path,
                    format!("unknown argument `{name}` for {}; {ARGUMENTS}", kind.name()),
                ));
                continue;
            }
        };
        if *seen {
            push(syn::Error::new_spanned(
                path,
                format!("`{name}` is given more than once; keep one"),
            ));
            continue;
        }
        *seen = true;
        match flavor_value(&meta) {
            Ok(flavor) => config.flavor = Some(flavor),
            Err(error) => push(error),
        }
    }

    if let (Some(Flavor::CurrentThread), Some(path)) = (config.flavor, &seen_worker_threads) {
        push(syn::Error::new_spanned(
            path,
            "`worker_threads` cannot be used with `flavor = \"current_thread\"`: a \
             current-thread runtime has no worker threads (every task runs on the thread that \
             runs the function); remove `worker_threads`, or use `flavor = \"multi_thread\"`",
        ));
    }

    match errors {
        None => Ok(config),
        Some(errors) => Err(errors),
    }
}

/// Reads the value of `flavor = "..."`.
fn flavor_value(meta: &Meta) -> syn::Result<Flavor> {
    let expected = "`flavor` takes a string: `flavor = \"current_thread\"` or \
                    `flavor = \"multi_thread\"`";
    let value = match meta {
        Meta::NameValue(name_value) => &name_value.value,
        other => return Err(syn::Error::new_spanned(other, expected)),
    };
    let literal = match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(literal),
            ..
        }) => literal,
        other => return Err(syn::Error::new_spanned(other, expected)),
    };
    match literal.value().as_str() {
        "current_thread" => Ok(Flavor::CurrentThread),
        "multi_thread" => Ok(Flavor::MultiThread),
        other => Err(syn::Error::new_spanned(
            literal,
            format!(
                "unknown flavor `{other}`; the flavors are `\"current_thread\"` and \
                 `\"multi_thread\"`"
            ),
        )),
    }
}

/// Reads the `N` of `worker_threads = N`: an integer literal of at least 1.
fn worker_threads_value(meta: &Meta) -> syn::Result<usize> {
    let expected = "`worker_threads` takes a positive integer literal, like `worker_threads = 4`";
    let value = match meta {
        Meta::NameValue(name_value) => &name_value.value,
        other => return Err(syn::Error::new_spanned(other, expected)),
    };
    let literal = match value {
        Expr::Lit(ExprLit {
            lit: Lit::Int(literal),
            ..
        }) => literal,
        other => return Err(syn::Error::new_spanned(other, expected)),
    };
    let n: usize = literal.base10_parse().map_err(|_| {
        syn::Error::new_spanned(literal, "`worker_threads` is too large for a `usize`")
    })?;
    if n == 0 {
        return Err(syn::Error::new_spanned(
            literal,
            "`worker_threads` must be at least 1 (a runtime needs a worker to run tasks)",
        ));
    }
    Ok(n)
}

/// Reads the `<bool>` of `start_paused = <bool>`: a `true` or `false` literal.
fn start_paused_value(meta: &Meta) -> syn::Result<bool> {
    let expected = "`start_paused` takes `true` or `false`, like `start_paused = true`";
    match meta {
        Meta::NameValue(name_value) => match &name_value.value {
            Expr::Lit(ExprLit {
                lit: Lit::Bool(literal),
                ..
            }) => Ok(literal.value),
            other => Err(syn::Error::new_spanned(other, expected)),
        },
        other => Err(syn::Error::new_spanned(other, expected)),
    }
}

/// Checks the function's shape: `async`, no parameters, no generics, and for tests no second
/// test attribute.
fn check_signature(kind: Kind, function: &ItemFn) -> Vec<syn::Error> {
    let sig = &function.sig;
    let mut errors = Vec::new();

    if sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            sig.fn_token,
            format!(
                "{} requires an `async fn`; add `async` before `fn`",
                kind.name()
            ),
        ));
    }
    if !sig.inputs.is_empty() {
        let what = match kind {
            Kind::Main => "the `main` function cannot take parameters",
            Kind::Test => "a test function cannot take parameters",
        };
        errors.push(syn::Error::new_spanned(
            &sig.inputs,
            format!("{what}; remove them (the runtime is built for you)"),
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            format!("{} does not support generic functions", kind.name()),
        ));
    }
    if kind == Kind::Test {
        for attr in &function.attrs {
            if attr.path().is_ident("test") {
                errors.push(syn::Error::new_spanned(
                    attr,
                    "remove this `#[test]`: #[filch::test] already generates it",
                ));
            }
        }
    }
    errors
}

/// After an error: the function without its `async` keyword and with an empty body, so the
/// program still has its `main` (or its test) and rustc reports only our error.
fn stand_in(kind: Kind, function: &ItemFn) -> TokenStream2 {
    let attrs = &function.attrs;
    let vis = &function.vis;
    let name = &function.sig.ident;
    let test_attr = match kind {
        Kind::Main => quote! {},
        Kind::Test => quote! { #[test] },
    };
    let attrs = attrs.iter().filter(|attr| !attr.path().is_ident("test"));
    quote! {
        #test_attr
        #(#attrs)*
        #vis fn #name() {}
    }
}

/// Generates the synchronous function: build the runtime, then `block_on` the body.
fn generate(kind: Kind, config: &Config, function: ItemFn) -> TokenStream2 {
    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = function;
    sig.asyncness = None;

    // The runtime is built at the start of the body's braces, so errors about it point at the
    // function rather than at the attribute.
    let span = block.brace_token.span.join();
    let calls = builder_calls(config);
    let new = match config.flavor(kind) {
        Flavor::CurrentThread => quote_spanned! {span=> new_current_thread },
        Flavor::MultiThread => quote_spanned! {span=> new_multi_thread },
    };
    let finish = match kind {
        Kind::Main => quote_spanned! {span=> runtime_for_main },
        Kind::Test => quote_spanned! {span=> runtime_for_test },
    };
    let build = quote_spanned! {span=>
        {
            let mut builder = ::filch::__private::Builder::#new();
            #(#calls)*
            ::filch::__private::#finish(&mut builder)
        }
    };
    let test_attr = match kind {
        Kind::Main => quote! {},
        Kind::Test => quote! { #[::core::prelude::v1::test] },
    };
    // `async #block` keeps the user's statements, `return` and `?` unchanged: the block's output
    // type is inferred from the function's declared return type through `block_on`.
    let body = quote_spanned! {span=>
        {
            let body = async #block;
            let runtime = #build;
            runtime.block_on(body)
        }
    };
    quote! {
        #test_attr
        #(#attrs)*
        #vis #sig #body
    }
}

/// The builder calls for the arguments beyond the flavor, one statement each, on `builder`.
fn builder_calls(config: &Config) -> Vec<TokenStream2> {
    let mut calls = Vec::new();
    if let Some(n) = config.worker_threads {
        calls.push(quote! { builder.worker_threads(#n); });
    }
    if let Some(paused) = config.start_paused {
        calls.push(quote! { builder.start_paused(#paused); });
    }
    calls
}

/// Turns a `select!` branch pattern into one that only tests whether a value matches, for
/// matching against a reference to the branch's output: binding modifiers (`mut`, `ref`),
/// reference patterns' `&` and `name @` prefixes are removed, everything else is kept. `filch::select!` calls it before it
/// runs a branch's handler, to disable a branch whose pattern does not match. Not part of the
/// public API.
#[doc(hidden)]
#[proc_macro]
pub fn select_clean_pattern(input: TokenStream) -> TokenStream {
    clean_pattern(input.into()).into()
}

/// The work of [`select_clean_pattern`], on `proc_macro2` tokens so that it recurses into groups.
fn clean_pattern(input: TokenStream2) -> TokenStream2 {
    use proc_macro2::{Group, TokenTree};

    let tokens: Vec<TokenTree> = input.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            TokenTree::Ident(ident) if ident == "mut" || ident == "ref" => {}
            // Reference patterns (`&x`, `&mut x`): the value is matched through a reference
            // anyway, and default binding modes see through references, so the `&` goes too.
            TokenTree::Punct(punct) if punct.as_char() == '&' => {}
            TokenTree::Ident(_) if matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '@') =>
            {
                // `name @ subpattern`: keep only the subpattern.
                i += 1;
            }
            TokenTree::Group(group) => {
                let mut cleaned = Group::new(group.delimiter(), clean_pattern(group.stream()));
                cleaned.set_span(group.span());
                out.push(TokenTree::Group(cleaned));
            }
            other => out.push(other.clone()),
        }
        i += 1;
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::{clean_pattern, expand, Kind};

    #[test]
    fn clean_pattern_drops_binding_modifiers_and_at_bindings() {
        let clean = |p: &str| clean_pattern(p.parse().unwrap()).to_string();
        assert_eq!(clean("Some(mut x)"), "Some (x)");
        assert_eq!(clean("(ref a, ref mut b)"), "(a , b)");
        assert_eq!(clean("whole @ Some([first, ..])"), "Some ([first , ..])");
        assert_eq!(clean("Ok(1 | 2) | Err(_)"), "Ok (1 | 2) | Err (_)");
        assert_eq!(clean("(&mut a, &&b, &Some(c))"), "(a , b , Some (c))");
    }

    fn expand_str(kind: Kind, args: &str, item: &str) -> String {
        expand(kind, args.parse().unwrap(), item.parse().unwrap()).to_string()
    }

    #[test]
    fn main_without_arguments_is_multi_thread_and_reads_the_environment() {
        let out = expand_str(Kind::Main, "", "async fn main() { work().await }");
        assert!(out.contains("Builder :: new_multi_thread ()"), "{out}");
        assert!(!out.contains("worker_threads"), "{out}");
        assert!(out.contains("runtime_for_main (& mut builder)"), "{out}");
        assert!(out.contains("fn main ()"));
        assert!(!out.contains("async fn"));
        assert!(!out.contains("test"));
    }

    #[test]
    fn a_test_without_arguments_is_current_thread() {
        let out = expand_str(Kind::Test, "", "async fn t() {}");
        assert!(out.contains("Builder :: new_current_thread ()"), "{out}");
        assert!(out.contains("runtime_for_test (& mut builder)"), "{out}");
    }

    #[test]
    fn worker_threads_argument_is_passed_through_and_implies_multi_thread() {
        let out = expand_str(Kind::Test, "worker_threads = 3", "async fn t() {}");
        assert!(out.contains("Builder :: new_multi_thread ()"), "{out}");
        assert!(out.contains("builder . worker_threads (3usize) ;"), "{out}");
        assert!(out.contains("# [:: core :: prelude :: v1 :: test]"));
    }

    #[test]
    fn start_paused_argument_becomes_a_builder_call() {
        let out = expand_str(Kind::Test, "start_paused = true", "async fn t() {}");
        assert!(out.contains("builder . start_paused (true) ;"), "{out}");
        assert!(out.contains("Builder :: new_current_thread ()"), "{out}");
        let out = expand_str(
            Kind::Main,
            "worker_threads = 2, start_paused = false",
            "async fn main() {}",
        );
        assert!(out.contains("builder . start_paused (false) ;"), "{out}");
        let out = expand_str(Kind::Test, "", "async fn t() {}");
        assert!(!out.contains("start_paused"), "{out}");
    }

    #[test]
    fn the_flavor_argument_chooses_the_builder() {
        for (kind, args, new) in [
            (
                Kind::Main,
                "flavor = \"current_thread\"",
                "new_current_thread",
            ),
            (Kind::Main, "flavor = \"multi_thread\"", "new_multi_thread"),
            (Kind::Test, "flavor = \"multi_thread\"", "new_multi_thread"),
            (
                Kind::Test,
                "flavor = \"current_thread\"",
                "new_current_thread",
            ),
            (
                Kind::Main,
                "flavor = \"multi_thread\", worker_threads = 4",
                "new_multi_thread",
            ),
            (
                Kind::Test,
                "worker_threads = 2, flavor = \"multi_thread\"",
                "new_multi_thread",
            ),
        ] {
            let out = expand_str(kind, args, "async fn f() {}");
            assert!(!out.contains("compile_error"), "{args}: {out}");
            assert!(
                out.contains(&format!("Builder :: {new} ()")),
                "{args}: {out}"
            );
        }
    }

    #[test]
    fn misuse_produces_compile_errors() {
        for (args, item, message) in [
            ("", "fn main() {}", "requires an `async fn`"),
            ("", "async fn main(x: u8) {}", "cannot take parameters"),
            (
                "workers = 1",
                "async fn main() {}",
                "unknown argument `workers`",
            ),
            (
                "flavor = 1",
                "async fn main() {}",
                "`flavor` takes a string",
            ),
            ("flavor", "async fn main() {}", "`flavor` takes a string"),
            (
                "flavor = \"single\"",
                "async fn main() {}",
                "unknown flavor `single`",
            ),
            (
                "flavor = \"current_thread\", flavor = \"multi_thread\"",
                "async fn main() {}",
                "`flavor` is given more than once",
            ),
            (
                "flavor = \"current_thread\", worker_threads = 2",
                "async fn main() {}",
                "cannot be used with `flavor = \\\"current_thread\\\"`",
            ),
            (
                "worker_threads = 2, flavor = \"current_thread\"",
                "async fn main() {}",
                "a current-thread runtime has no worker threads",
            ),
            (
                "worker_threads = 0",
                "async fn main() {}",
                "must be at least 1",
            ),
            (
                "worker_threads = \"2\"",
                "async fn main() {}",
                "positive integer",
            ),
            ("worker_threads", "async fn main() {}", "positive integer"),
            (
                "worker_threads = 1, worker_threads = 2",
                "async fn main() {}",
                "more than once",
            ),
            ("", "async fn main<T>() {}", "generic"),
            (
                "start_paused = 1",
                "async fn main() {}",
                "takes `true` or `false`",
            ),
            (
                "start_paused",
                "async fn main() {}",
                "takes `true` or `false`",
            ),
            (
                "start_paused = true, start_paused = false",
                "async fn main() {}",
                "more than once",
            ),
            ("", "struct S;", "can only be applied"),
        ] {
            let out = expand_str(Kind::Main, args, item);
            assert!(out.contains("compile_error"), "{args} {item}: {out}");
            assert!(out.contains(message), "{args} {item}: {out}");
        }
    }

    #[test]
    fn a_second_test_attribute_is_rejected() {
        let out = expand_str(Kind::Test, "", "#[test] async fn t() {}");
        assert!(out.contains("already generates it"), "{out}");
    }
}
