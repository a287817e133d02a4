//! [`ToSocketAddrs`]: the addresses socket constructors accept, resolved without blocking a
//! worker.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use filch_executor::runtime::Handle;

/// Anything [`std::net::ToSocketAddrs`] accepts: a [`SocketAddr`], an `(IpAddr, u16)` pair, a
/// string such as `"127.0.0.1:8080"` or `"localhost:80"`, a `(&str, u16)` pair, or a slice of
/// addresses.
///
/// Literal addresses are parsed in place. Host names go to the system resolver, which blocks,
/// so that lookup runs on the runtime's blocking pool
/// (`filch::task::spawn_blocking`) and never on a worker thread.
///
/// This trait is sealed: it cannot be implemented outside this crate.
///
/// ```
/// use filch::net::TcpListener;
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let a = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let b = TcpListener::bind(("localhost", 0)).await.unwrap();
///     let c = TcpListener::bind(a.local_addr().unwrap().ip().to_string() + ":0").await.unwrap();
///     # let _ = (b, c);
/// });
/// ```
pub trait ToSocketAddrs: sealed::ToSocketAddrsPriv {}

pub(crate) mod sealed {
    use super::*;

    /// How to turn a value into addresses.
    #[derive(Debug)]
    pub enum Plan {
        /// Already known (or already failed).
        Ready(io::Result<Vec<SocketAddr>>),
        /// A `host:port` string for the system resolver.
        Lookup(String),
        /// A host and a port for the system resolver.
        LookupHost(String, u16),
    }

    /// The sealed half of [`ToSocketAddrs`](super::ToSocketAddrs).
    pub trait ToSocketAddrsPriv {
        /// Parses what can be parsed without blocking.
        fn plan(&self) -> Plan;
    }
}

use sealed::{Plan, ToSocketAddrsPriv};

/// Resolves `addr`, on the blocking pool if it needs the system resolver.
pub(crate) async fn resolve<A: ToSocketAddrs>(addr: A) -> io::Result<Vec<SocketAddr>> {
    let plan = addr.plan();
    let lookup = match plan {
        Plan::Ready(result) => return result,
        Plan::Lookup(s) => Box::new(move || std::net::ToSocketAddrs::to_socket_addrs(&s))
            as Box<dyn FnOnce() -> io::Result<std::vec::IntoIter<SocketAddr>> + Send>,
        Plan::LookupHost(host, port) => {
            Box::new(move || std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port)))
        }
    };
    let handle = Handle::try_current()
        .map_err(|_| crate::driver::NoDriver::NoRuntime.into_io_error("resolving a host name"))?;
    match handle
        .spawn_blocking(move || lookup().map(Iterator::collect))
        .await
    {
        Ok(result) => result,
        Err(e) => Err(io::Error::other(format!(
            "host name lookup task failed: {e}"
        ))),
    }
}

/// The error for an address list that resolved to nothing.
pub(crate) fn no_addresses() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "the address resolved to no socket addresses; check the host name",
    )
}

/// Tries `f` on each address in turn, returning the first success or the last error.
pub(crate) async fn try_each<T, F, Fut>(addrs: Vec<SocketAddr>, mut f: F) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = io::Result<T>>,
{
    let mut last = None;
    for addr in addrs {
        match f(addr).await {
            Ok(value) => return Ok(value),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(no_addresses))
}

macro_rules! ready_impl {
    ($($ty:ty),*) => {$(
        impl ToSocketAddrs for $ty {}
        impl ToSocketAddrsPriv for $ty {
            fn plan(&self) -> Plan {
                Plan::Ready(std::net::ToSocketAddrs::to_socket_addrs(self).map(Iterator::collect))
            }
        }
    )*};
}

ready_impl!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16)
);

impl ToSocketAddrs for [SocketAddr] {}
impl ToSocketAddrsPriv for [SocketAddr] {
    fn plan(&self) -> Plan {
        Plan::Ready(Ok(self.to_vec()))
    }
}

impl<const N: usize> ToSocketAddrs for [SocketAddr; N] {}
impl<const N: usize> ToSocketAddrsPriv for [SocketAddr; N] {
    fn plan(&self) -> Plan {
        Plan::Ready(Ok(self.to_vec()))
    }
}

impl ToSocketAddrs for Vec<SocketAddr> {}
impl ToSocketAddrsPriv for Vec<SocketAddr> {
    fn plan(&self) -> Plan {
        Plan::Ready(Ok(self.clone()))
    }
}

impl ToSocketAddrs for str {}
impl ToSocketAddrsPriv for str {
    fn plan(&self) -> Plan {
        match self.parse::<SocketAddr>() {
            Ok(addr) => Plan::Ready(Ok(vec![addr])),
            Err(_) => Plan::Lookup(self.to_owned()),
        }
    }
}

impl ToSocketAddrs for String {}
impl ToSocketAddrsPriv for String {
    fn plan(&self) -> Plan {
        self.as_str().plan()
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl ToSocketAddrsPriv for (&str, u16) {
    fn plan(&self) -> Plan {
        match self.0.parse::<IpAddr>() {
            Ok(ip) => Plan::Ready(Ok(vec![SocketAddr::new(ip, self.1)])),
            Err(_) => Plan::LookupHost(self.0.to_owned(), self.1),
        }
    }
}

impl ToSocketAddrs for (String, u16) {}
impl ToSocketAddrsPriv for (String, u16) {
    fn plan(&self) -> Plan {
        (self.0.as_str(), self.1).plan()
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrsPriv + ?Sized> ToSocketAddrsPriv for &T {
    fn plan(&self) -> Plan {
        (**self).plan()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(plan: Plan) -> Vec<SocketAddr> {
        match plan {
            Plan::Ready(r) => r.unwrap(),
            other => panic!("expected a parsed address, got {other:?}"),
        }
    }

    #[test]
    fn literals_are_parsed_without_lookup() {
        let v4: SocketAddr = "127.0.0.1:80".parse().unwrap();
        assert_eq!(ready("127.0.0.1:80".plan()), vec![v4]);
        assert_eq!(ready(String::from("127.0.0.1:80").plan()), vec![v4]);
        assert_eq!(ready(("127.0.0.1", 80).plan()), vec![v4]);
        assert_eq!(ready((&"[::1]:9").plan()), vec!["[::1]:9".parse().unwrap()]);
        assert_eq!(ready(v4.plan()), vec![v4]);
        assert_eq!(ready([v4, v4].plan()).len(), 2);
    }

    #[test]
    fn names_go_to_the_resolver() {
        assert!(matches!("localhost:80".plan(), Plan::Lookup(_)));
        assert!(matches!(("localhost", 80).plan(), Plan::LookupHost(_, 80)));
    }
}
