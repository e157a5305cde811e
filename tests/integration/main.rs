//! Integration tests of the server, one binary with a module per area.

// The app's settings island has a deeply nested view type (see src/main.rs).
#![recursion_limit = "512"]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod engines;
#[path = "../fixtures/provider.rs"]
mod fixture;
mod logs;
mod management;
mod oneshot;
#[path = "../fixtures/postgres.rs"]
mod postgres_database;
mod provider;
mod router;
mod rp;
mod ses;
mod static_files;
mod support;
mod web;
