//! How a page loads its data: [`load`] wraps a resource's fetch so that, on the server, the page's
//! reactive owners (the request's root and every owner between it and the resource) stay alive
//! until the fetch ends.
//!
//! Why: a resource's fetch runs as its own task, apart from the response stream that holds the
//! request's root owner. When a browser cuts the request off, the stream (and with it the root) is
//! dropped on another thread while the fetch may be looking up a context (`use_context`, as every
//! server function does). reactive_graph 0.2 walks up the owners holding a read lock on the child
//! and a temporary strong reference to each parent; if that reference is the parent's last, the
//! parent's drop cleans up its children and write-locks the child that same thread holds: the
//! worker thread deadlocks, and the server loses one of its threads for good. Holding the owners
//! for the fetch's lifetime means the walk can never hold the last reference; the last of them is
//! released when the fetch ends, outside any lock.

#[cfg(feature = "ssr")]
use leptos::prelude::Owner;
use std::future::Future;

/// `fetch`, holding the current owner and all its ancestors until it ends (on the server; in the
/// browser the page's owners live as long as the page). Also for a `Suspend` that builds a view
/// after its data arrives: building it looks up contexts too (every component and island does).
/// The future is `Send` when `fetch` is.
// In the browser build there are no owners to hold, and the wrapper is a plain `async` block.
#[cfg_attr(not(feature = "ssr"), allow(clippy::manual_async_fn))]
pub fn load<F: Future>(fetch: F) -> impl Future<Output = F::Output> {
    #[cfg(feature = "ssr")]
    let owners = lineage();
    async move {
        let output = fetch.await;
        #[cfg(feature = "ssr")]
        drop(owners);
        output
    }
}

/// The current owner and its ancestors, nearest first.
#[cfg(feature = "ssr")]
fn lineage() -> Vec<Owner> {
    std::iter::successors(Owner::current(), Owner::parent).collect()
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::load;
    use leptos::prelude::*;

    #[derive(Clone)]
    struct Request(&'static str);

    /// What the deadlock needs is a context lookup while the request's root is being dropped
    /// elsewhere; with [`load`] the root cannot go while the fetch runs, so a lookup made after
    /// the response was dropped still finds the request's contexts.
    #[tokio::test]
    async fn a_fetch_keeps_the_request_owners_alive_after_the_response_is_dropped() {
        let root = Owner::new();
        root.set();
        provide_context(Request("the request"));
        let resource_owner = root.child();
        let (proceed, wait) = tokio::sync::oneshot::channel::<()>();
        let fetch = resource_owner.with(|| {
            let owner = Owner::current();
            load(async move {
                let _ = wait.await;
                owner.and_then(|owner| owner.with(use_context::<Request>))
            })
        });
        let running = tokio::spawn(fetch);
        // The response stream, and its root owner, dropped while the fetch waits.
        Owner::unset(root);
        let _ = proceed.send(());
        let found = running.await.ok().flatten();
        assert_eq!(found.map(|request| request.0), Some("the request"));
    }
}
