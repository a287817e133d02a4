//! The OS wait the reactor uses, and how it is chosen.
//!
//! Two backends wait on the one epoll/kqueue instance that `polling::Poller` owns:
//!
//! * [`Backend::Epoll`] (Linux only, the default there): filch's own wait in `sys/epoll.rs`,
//!   one `epoll_pwait2` per wait and an eventfd of its own for unparking. Sources are added with
//!   `EPOLLRDHUP`, so the reactor [reports a peer's end of stream](crate::reactor::Reactor::reports_read_closed).
//! * [`Backend::Polling`] (every platform): `polling::Poller::wait` and `Poller::notify`. On
//!   epoll that wait costs five system calls; on kqueue it is one `kevent`.
//!
//! The environment variable `FILCH_IO_BACKEND` picks one when the driver is created: `epoll` or
//! `polling` on Linux, `polling` elsewhere. Unset means the default (`epoll` on Linux); any other
//! value makes `new_driver` fail with an `InvalidInput` error naming the value and the accepted
//! ones, like the other `FILCH_` variables (see docs/configuration.md).

use std::ffi::OsString;
use std::io;
use std::num::NonZeroUsize;

#[cfg(target_os = "linux")]
pub(crate) mod epoll;

/// The environment variable that picks the backend.
pub(crate) const BACKEND_ENV: &str = "FILCH_IO_BACKEND";

/// Which wait the reactor uses (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    /// filch's own `epoll_pwait2` wait (Linux).
    #[cfg(target_os = "linux")]
    Epoll,
    /// `polling`'s portable wait.
    Polling,
}

/// The value `FILCH_IO_BACKEND` takes for each backend, and the default.
#[cfg(target_os = "linux")]
const ACCEPTED: &str = "epoll (the default) or polling (the portable backend)";
#[cfg(not(target_os = "linux"))]
const ACCEPTED: &str = "polling (the only backend on this platform)";

impl Backend {
    /// The backend used when `FILCH_IO_BACKEND` is unset.
    #[cfg(target_os = "linux")]
    pub(crate) const DEFAULT: Backend = Backend::Epoll;
    /// The backend used when `FILCH_IO_BACKEND` is unset.
    #[cfg(not(target_os = "linux"))]
    pub(crate) const DEFAULT: Backend = Backend::Polling;

    /// The name `FILCH_IO_BACKEND` uses for this backend.
    pub(crate) fn name(self) -> &'static str {
        match self {
            #[cfg(target_os = "linux")]
            Backend::Epoll => "epoll",
            Backend::Polling => "polling",
        }
    }

    /// Reads `FILCH_IO_BACKEND` (read each time a driver is created).
    pub(crate) fn from_env() -> io::Result<Backend> {
        parse(std::env::var_os(BACKEND_ENV))
    }
}

/// Parses a value of `FILCH_IO_BACKEND` (`None`: unset). Spaces around the value are ignored,
/// as for the other `FILCH_` variables; the names are lower case.
pub(crate) fn parse(value: Option<OsString>) -> io::Result<Backend> {
    let Some(value) = value else {
        return Ok(Backend::DEFAULT);
    };
    let invalid = |what: String| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{what}; set it to {ACCEPTED}, or unset it to use the default ({})",
                Backend::DEFAULT.name()
            ),
        )
    };
    let Some(text) = value.to_str() else {
        return Err(invalid(format!(
            "{BACKEND_ENV}={value:?} is not valid UTF-8"
        )));
    };
    match text.trim() {
        "" => Err(invalid(format!("{BACKEND_ENV} is set but empty"))),
        "polling" => Ok(Backend::Polling),
        #[cfg(target_os = "linux")]
        "epoll" => Ok(Backend::Epoll),
        #[cfg(not(target_os = "linux"))]
        "epoll" => Err(invalid(format!(
            "{BACKEND_ENV}=\"{text}\" is not available: epoll exists on Linux only"
        ))),
        _ => Err(invalid(format!(
            "{BACKEND_ENV}=\"{text}\" is not an I/O backend filch knows"
        ))),
    }
}

/// The buffer one wait fills: the form depends on the backend.
pub(crate) enum Events {
    /// For [`Backend::Polling`].
    Polling(polling::Events),
    /// For [`Backend::Epoll`].
    #[cfg(target_os = "linux")]
    Epoll(epoll::Events),
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Events::Polling(_) => f.write_str("Events::Polling"),
            #[cfg(target_os = "linux")]
            Events::Epoll(_) => f.write_str("Events::Epoll"),
        }
    }
}

impl Events {
    /// An empty buffer for `capacity` events of `backend`.
    pub(crate) fn new(backend: Backend, capacity: NonZeroUsize) -> Events {
        match backend {
            Backend::Polling => Events::Polling(polling::Events::with_capacity(capacity)),
            #[cfg(target_os = "linux")]
            Backend::Epoll => Events::Epoll(epoll::Events::with_capacity(capacity.get())),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt;

    fn err(value: &str) -> String {
        let e = parse(Some(value.into())).expect_err(value);
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
        e.to_string()
    }

    #[test]
    fn backend_names_parse_and_bad_values_are_explained() {
        assert_eq!(parse(None).unwrap(), Backend::DEFAULT);
        assert_eq!(parse(Some("polling".into())).unwrap(), Backend::Polling);
        assert_eq!(parse(Some(" polling ".into())).unwrap(), Backend::Polling);
        #[cfg(target_os = "linux")]
        {
            assert_eq!(Backend::DEFAULT, Backend::Epoll);
            assert_eq!(parse(Some("epoll".into())).unwrap(), Backend::Epoll);
        }
        let msg = err("kqueue");
        assert!(
            msg.starts_with(
                "FILCH_IO_BACKEND=\"kqueue\" is not an I/O backend filch knows; set it to "
            ),
            "{msg}"
        );
        assert!(msg.contains("polling"), "{msg}");
        #[cfg(target_os = "linux")]
        assert!(
            msg.ends_with(
                "set it to epoll (the default) or polling (the portable backend), or unset it \
                 to use the default (epoll)"
            ),
            "{msg}"
        );
        assert!(err("Epoll ").contains("\"Epoll \""));
        assert!(err("").starts_with("FILCH_IO_BACKEND is set but empty; "));
        assert!(err("  ").starts_with("FILCH_IO_BACKEND is set but empty; "));
        let bad = parse(Some(OsString::from_vec(vec![0xff, b'x']))).unwrap_err();
        assert_eq!(bad.kind(), io::ErrorKind::InvalidInput);
        assert!(bad.to_string().contains("is not valid UTF-8"), "{bad}");
    }
}
