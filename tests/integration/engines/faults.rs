//! The session engine failing and coming back, on a Redis server of the test's own (stopped and
//! started again on the same port, its data in an append-only file): signed-in pages answer 503
//! with "try again" while it is down, anonymous pages keep working, `/readyz` says so, and once it
//! is back the same session works again by itself: nothing committed is lost.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use http::StatusCode;

use crate::web::world::{Jar, World};

/// A redis-server on `port`, persisting to `dir`.
struct RedisServer {
    child: Child,
}

impl RedisServer {
    fn start(port: u16, dir: &std::path::Path) -> Self {
        let binary = std::env::var("TEST_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let mut child = Command::new(binary)
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ])
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server starts (TEST_REDIS_SERVER or redis-server on PATH)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Self { child };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("redis-server did not listen on {port}");
    }

    fn stop(self) {
        drop(self);
    }
}

/// Stopped however the test ends.
impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_means_try_again_and_back_means_signed_in_again() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = RedisServer::start(port, dir.path());
    let url = format!("redis://127.0.0.1:{port}");
    let engine = super::open(Some(&url), dir.path()).await;
    let world = World::start_with(move |settings| crate::support::app_on(settings, &engine)).await;
    let mut jar = Jar::default();
    world
        .sign_in(&mut jar, "ada@example.com", "/logto/sign-in")
        .await;
    assert_eq!(world.get(&mut jar, "/profile").await.status, StatusCode::OK);
    assert_eq!(world.get(&mut jar, "/readyz").await.status, StatusCode::OK);

    server.stop();
    let page = world.get(&mut jar.clone(), "/profile").await;
    assert_eq!(
        page.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        page.body
    );
    assert!(page.body.contains("Try again"), "{}", page.body);
    let ready = world.get(&mut Jar::default(), "/readyz").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    let home = world.get(&mut Jar::default(), "/").await;
    assert_eq!(home.status, StatusCode::OK, "anonymous pages keep working");

    let server = RedisServer::start(port, dir.path());
    let mut back = false;
    for _ in 0..50 {
        if world.get(&mut Jar::default(), "/readyz").await.status == StatusCode::OK {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back, "ready again once Redis is back");
    let page = world.get(&mut jar, "/profile").await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "the same session, not lost: {}",
        page.body
    );
    assert!(page.body.contains("ada@example.com"));
    server.stop();
}
