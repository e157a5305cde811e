//! The built site's files (the WASM/JS/CSS bundle under `/pkg`, the `public/` assets): served
//! with their precompressed `.br`/`.gz` twins when the browser accepts them, under a cache policy.
//! Names carrying a content hash (cargo-leptos `hash-files`) never change, so browsers keep them
//! for a year without asking; everything else is revalidated on each use (`no-cache`, with
//! `Last-Modified`). Paths that are no file go to `not_found`, which renders the app's 404 page.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::header::{CACHE_CONTROL, VARY};
use http::HeaderValue;
use std::collections::HashSet;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower::Service;
use tower_http::services::ServeDir;

/// The hash file cargo-leptos writes beside the server binary when `hash-files` is on.
pub const HASH_FILE: &str = "hash.txt";
const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

/// Where cargo-leptos's hash file for this binary is, if it wrote one.
pub fn hash_file_beside_binary() -> Option<PathBuf> {
    let path = std::env::current_exe().ok()?.parent()?.join(HASH_FILE);
    path.is_file().then_some(path)
}

/// The URL paths of the hashed bundle files (`/pkg/leptos-logto.<hash>.wasm` …) named by the
/// hash file `hashes` (lines `js: <hash>`, `wasm: <hash>`, `css: <hash>`).
pub fn hashed_paths(hashes: &str, pkg_dir: &str, output_name: &str) -> HashSet<String> {
    hashes
        .lines()
        .filter_map(|line| line.split_once(':'))
        .filter_map(|(kind, hash)| {
            let extension = match kind.trim() {
                "js" => "js",
                "wasm" => "wasm",
                "css" => "css",
                _ => return None,
            };
            Some(format!(
                "/{pkg_dir}/{output_name}.{}.{extension}",
                hash.trim()
            ))
        })
        .collect()
}

/// The cache policy for the site's files.
#[derive(Clone, Debug, Default)]
pub struct CachePolicy {
    immutable: Arc<HashSet<String>>,
}

impl CachePolicy {
    pub fn new(immutable: HashSet<String>) -> Self {
        Self {
            immutable: Arc::new(immutable),
        }
    }

    /// The `Cache-Control` value for a file at `path`.
    pub fn for_path(&self, path: &str) -> HeaderValue {
        if self.immutable.contains(path) {
            IMMUTABLE
        } else {
            REVALIDATE
        }
    }
}

/// The site's files under `root`, falling back to `not_found` for paths that are no file.
pub fn service<F>(root: &Path, not_found: F) -> ServeDir<F>
where
    F: Service<Request, Response = Response, Error = Infallible> + Clone,
{
    ServeDir::new(root)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(not_found)
}

/// Middleware: puts the cache policy on the site's files. Responses that already carry a
/// `Cache-Control` (rendered pages, `no-store`) and failures keep theirs.
pub async fn apply_policy(
    axum::extract::State(policy): axum::extract::State<CachePolicy>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let cacheable = response.status().is_success() || response.status().as_u16() == 304;
    if cacheable && !response.headers().contains_key(CACHE_CONTROL) {
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, policy.for_path(&path));
        // The same URL answers in brotli, gzip or plain bytes.
        headers.append(VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_file_names_the_immutable_bundle_files() {
        let hashes = "js: 3Fq9\nwasm: Zx81\ncss: aa0B\n\nother: 1\n";
        let paths = hashed_paths(hashes, "pkg", "leptos-logto");
        let mut listed: Vec<_> = paths.iter().cloned().collect();
        listed.sort();
        assert_eq!(
            listed,
            [
                "/pkg/leptos-logto.3Fq9.js",
                "/pkg/leptos-logto.Zx81.wasm",
                "/pkg/leptos-logto.aa0B.css"
            ]
        );
        let policy = CachePolicy::new(paths);
        assert_eq!(policy.for_path("/pkg/leptos-logto.Zx81.wasm"), IMMUTABLE);
        assert_eq!(policy.for_path("/pkg/leptos-logto.wasm"), REVALIDATE);
        assert_eq!(policy.for_path("/favicon.svg"), REVALIDATE);
    }
}
