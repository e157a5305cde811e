//! The client's address in the request log, on a real socket: the connection's peer, unless that
//! peer is a trusted proxy; then the hop it appended to `X-Forwarded-For` (a hop the client wrote
//! itself is never believed).

async fn logged_client(trusted: &str, forwarded_for: &str) -> String {
    let capture = crate::logs::capture();
    let settings = crate::support::settings(&[
        ("LOGTO_ENDPOINT", "http://127.0.0.1:9"),
        ("SITE_TRUSTED_PROXIES", trusted),
    ]);
    let app = crate::support::app(settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(leptos_logto::runtime::serve::serve(listener, app, async {
        let _ = stopped.await;
    }));
    let reply = reqwest::Client::new()
        .get(format!("http://{addr}/healthz"))
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    let text = capture.text();
    let line = text
        .lines()
        .find(|line| line.contains("path=/healthz") && line.contains("response"))
        .unwrap_or_else(|| panic!("no request log line in {text}"));
    line.split("client=")
        .nth(1)
        .and_then(|rest| rest.split([' ', '}']).next())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn without_trusted_proxies_the_peer_is_the_client() {
    assert_eq!(logged_client("", "203.0.113.9").await, "127.0.0.1");
}

#[tokio::test]
async fn behind_a_trusted_proxy_its_hop_is_the_client_and_a_forged_one_is_not() {
    assert_eq!(
        logged_client("127.0.0.1", "6.6.6.6, 203.0.113.9").await,
        "203.0.113.9"
    );
    assert_eq!(
        logged_client("10.0.0.0/8", "203.0.113.9").await,
        "127.0.0.1",
        "a peer outside the trusted networks is the client"
    );
}
