//! The child-process entry point of the `http hyper` row: `compare --serve <runtime> hyper
//! --threads N` runs [`filch_benches::hyper_server::serve`] on that runtime.

use std::process::ExitCode;

use filch_benches::hyper_server;
use filch_benches::rt::{Filch, Kind, Smol, Tokio};

/// The server's name on the command line.
pub(crate) const NAME: &str = "hyper";

pub(crate) fn serve(args: &[String]) -> ExitCode {
    let (Some(kind), Some("--threads"), Some(threads)) = (
        args.first().and_then(|name| Kind::from_name(name)),
        args.get(2).map(String::as_str),
        args.get(3).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("compare: usage: compare --serve <filch|tokio|smol> hyper --threads N");
        return ExitCode::from(2);
    };
    let served = match kind {
        Kind::Filch => hyper_server::serve::<Filch>(threads),
        Kind::Tokio => hyper_server::serve::<Tokio>(threads),
        Kind::Smol => hyper_server::serve::<Smol>(threads),
    };
    match served {
        Ok(()) => std::process::exit(0),
        Err(error) => {
            eprintln!("compare: {} hyper server: {error}", kind.name());
            ExitCode::FAILURE
        }
    }
}
