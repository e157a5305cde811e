//! Who is asking: the client's address, from the connection or, behind a load balancer, from
//! `X-Forwarded-For` walked from the right through the configured trusted proxies only (a client
//! can write anything into that header; only the hops our own proxies appended are believed). The
//! address goes into the request's extensions ([`ClientAddr`]) for request logs and limits.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` hops are believed (`site.trusted_proxies`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self(networks)
    }

    /// Whether `addr` is one of the trusted proxies.
    pub fn contains(&self, addr: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(&addr))
    }
}

/// The address of the client a request came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The client behind `peer` (the connection's other end): `peer` itself unless it is a trusted
/// proxy; then the rightmost `X-Forwarded-For` hop that is not a trusted proxy (or the leftmost
/// hop, if every one is). A hop that is not an address ends the walk.
pub fn client_addr(peer: IpAddr, forwarded_for: &[&str], trusted: &TrustedProxies) -> IpAddr {
    let mut client = peer;
    if !trusted.contains(peer) {
        return client;
    }
    let hops = forwarded_for
        .iter()
        .rev()
        .flat_map(|header| header.rsplit(','))
        .map(str::trim);
    for hop in hops {
        let parsed = hop
            .parse::<IpAddr>()
            .or_else(|_| hop.parse::<SocketAddr>().map(|socket| socket.ip()));
        let Ok(addr) = parsed else {
            break;
        };
        client = addr;
        if !trusted.contains(addr) {
            break;
        }
    }
    client
}

/// Puts each request's [`ClientAddr`] in its extensions (when the server knows the connection's
/// peer, as `runtime::serve` arranges).
pub fn apply(router: Router, trusted: TrustedProxies) -> Router {
    let trusted = Arc::new(trusted);
    router.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| {
            let trusted = Arc::clone(&trusted);
            async move { record(request, next, &trusted).await }
        },
    ))
}

async fn record(mut request: Request, next: Next, trusted: &TrustedProxies) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    if let Some(peer) = peer {
        let headers: Vec<&str> = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect();
        let client = ClientAddr(client_addr(peer, &headers, trusted));
        request.extensions_mut().insert(client);
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn proxies() -> TrustedProxies {
        let networks = crate::config::parse_trusted_proxies("10.0.0.0/8, 192.0.2.7").unwrap();
        TrustedProxies::new(networks)
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let spoofed = ["203.0.113.9"];
        assert_eq!(
            client_addr(ip("198.51.100.1"), &spoofed, &proxies()),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn through_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        // The client wrote a fake first hop; our two proxies appended the real ones.
        let forwarded = ["6.6.6.6, 203.0.113.9, 10.1.2.3"];
        assert_eq!(
            client_addr(ip("192.0.2.7"), &forwarded, &proxies()),
            ip("203.0.113.9")
        );
        // Several headers count as one list, in order.
        let split = ["6.6.6.6", "203.0.113.9", "10.1.2.3"];
        assert_eq!(
            client_addr(ip("10.0.0.1"), &split, &proxies()),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn odd_chains_end_sensibly() {
        assert_eq!(
            client_addr(ip("10.0.0.1"), &[], &proxies()),
            ip("10.0.0.1"),
            "no header"
        );
        assert_eq!(
            client_addr(ip("10.0.0.1"), &["10.0.0.2, 10.0.0.3"], &proxies()),
            ip("10.0.0.2"),
            "every hop a proxy: the leftmost"
        );
        assert_eq!(
            client_addr(ip("10.0.0.1"), &["203.0.113.9, garbage"], &proxies()),
            ip("10.0.0.1"),
            "a hop that is no address ends the walk"
        );
        assert_eq!(
            client_addr(ip("10.0.0.1"), &["[2001:db8::1]:443"], &proxies()),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn the_setting_takes_addresses_and_networks() {
        use crate::config::parse_trusted_proxies;
        assert!(parse_trusted_proxies("").unwrap().is_empty());
        assert!(proxies().contains(ip("10.200.0.1")));
        assert!(!proxies().contains(ip("192.0.2.8")));
        assert!(parse_trusted_proxies("10.0.0.0/33").is_err());
        assert!(parse_trusted_proxies("localhost").is_err());
    }
}
