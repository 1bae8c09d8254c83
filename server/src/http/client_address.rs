//! Who a request comes from on the network, as every per-address limit counts it.
//!
//! It is the TCP peer, unless the peer is a proxy the operator trusts (`--trusted-proxy`):
//! then it is the right-most address in the `X-Forwarded-For` (or, without one, `Forwarded`)
//! list that is not itself a trusted proxy. Each proxy appends the address it took the request
//! from, so everything left of the first untrusted hop may have been written by the client
//! and is ignored. Without trusted proxies the headers are never read: a client cannot pick
//! the address it is counted by.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use forwarded_header_value::ForwardedHeaderValue;
use ipnet::IpNet;

use super::error::ApiError;

/// The client's address, put on every request by [`resolve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<[IpNet]>);

impl TrustedProxies {
    pub fn new(networks: &[IpNet]) -> TrustedProxies {
        TrustedProxies(networks.into())
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|network| network.contains(&address))
    }

    /// The client behind `peer`, as told by `headers` when `peer` is trusted.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        // Nearest hop first; an entry that is not an address ("unknown", an obfuscated
        // name) ends the walk at the last hop known.
        let mut client = peer;
        for hop in forwarded_for(headers).into_iter().rev() {
            match hop {
                Some(hop) if self.trusts(client) => client = hop,
                _ => break,
            }
        }
        client
    }
}

/// The `for` addresses of the forwarding headers, farthest first: `X-Forwarded-For` when the
/// request has one (all its lines, in order), else `Forwarded` (RFC 7239). An entry that is
/// not an address is `None`.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let entries = |name: &str| -> Vec<String> {
        let lines =
            headers.get_all(name).iter().map(|line| String::from_utf8_lossy(line.as_bytes()).into_owned());
        lines
            .flat_map(|line| line.split(',').map(|entry| entry.trim().to_owned()).collect::<Vec<_>>())
            .collect()
    };
    let x_forwarded_for = entries("x-forwarded-for");
    if !x_forwarded_for.is_empty() {
        let address = |entry: &str| {
            let from_socket = || entry.parse::<SocketAddr>().ok().map(|socket| socket.ip());
            entry.parse::<IpAddr>().ok().or_else(from_socket)
        };
        return x_forwarded_for.iter().map(|entry| address(entry)).collect();
    }
    let element =
        |entry: &str| ForwardedHeaderValue::from_forwarded(entry).ok()?.proximate_forwarded_for_ip();
    entries("forwarded").iter().map(|entry| element(entry)).collect()
}

/// Middleware: finds the client's address of every request (see [`TrustedProxies::client`]).
pub async fn resolve(State(proxies): State<TrustedProxies>, mut request: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
        let client = proxies.client(peer.ip(), request.headers());
        request.extensions_mut().insert(ClientAddress(client));
    }
    next.run(request).await
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientAddress, ApiError> {
        parts
            .extensions
            .get::<ClientAddress>()
            .copied()
            .ok_or_else(|| ApiError::internal("no client address: serve with connect info"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, value.parse().unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_headers_are_ignored() {
        let forwarded = headers(&[("x-forwarded-for", "198.51.100.7"), ("forwarded", "for=198.51.100.8")]);
        assert_eq!(TrustedProxies::default().client(ip("203.0.113.5"), &forwarded), ip("203.0.113.5"));
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::new(&["10.0.0.0/8".parse().unwrap(), "127.0.0.1/32".parse().unwrap()]);
        let peer = ip("127.0.0.1");
        // The client wrote the first entry itself; the proxies appended the rest.
        let chain = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.7"), ("x-forwarded-for", "10.1.2.3")]);
        assert_eq!(proxies.client(peer, &chain), ip("198.51.100.7"));
        let forwarded = headers(&[("forwarded", r#"for=1.2.3.4, for="[2001:db8::1]:4711";proto=https"#)]);
        assert_eq!(proxies.client(peer, &forwarded), ip("2001:db8::1"));
        assert_eq!(proxies.client(ip("::ffff:10.9.9.9"), &chain), ip("198.51.100.7"), "IPv4-mapped peer");
        // An untrusted peer is the client whatever it says.
        assert_eq!(proxies.client(ip("203.0.113.5"), &chain), ip("203.0.113.5"));
        // Only proxies: the farthest is as far as anyone can tell.
        assert_eq!(proxies.client(peer, &headers(&[("x-forwarded-for", "10.0.0.2")])), ip("10.0.0.2"));
        // Nothing readable: the proxy itself.
        for unreadable in ["", "not an address", "198.51.100.7, unknown"] {
            assert_eq!(
                proxies.client(peer, &headers(&[("x-forwarded-for", unreadable)])),
                peer,
                "{unreadable:?}"
            );
        }
        let hidden = headers(&[("x-forwarded-for", "junk written by the client, 198.51.100.7:5000")]);
        assert_eq!(proxies.client(peer, &hidden), ip("198.51.100.7"), "junk left of the client is not read");
        assert_eq!(proxies.client(peer, &HeaderMap::new()), peer);
    }
}
