//! Baseline for `scripts/bench`: a bare axum handler answering every request with the bytes of a
//! file, as HTML. `cargo run --release --features ssr --example bare_page -- <file> <addr>`.

use axum::body::Bytes;
use axum::response::Html;
use axum::Router;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(addr)) = (args.next(), args.next()) else {
        eprintln!("usage: bare_page <file> <address>");
        std::process::exit(2);
    };
    let body = Bytes::from(std::fs::read(path)?);
    let app = Router::new().fallback(move || {
        let body = body.clone();
        async move { Html(body) }
    });
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await
}
