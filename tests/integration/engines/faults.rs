//! The session engine failing and coming back, on a Redis server and a PostgreSQL server of the
//! test's own (stopped and started again on the same port, their data on disk): signed-in pages
//! answer 503 with "try again" while it is down, anonymous pages keep working, `/readyz` says so,
//! and once it is back the same session works again by itself: nothing committed is lost.

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

/// A PostgreSQL cluster of the test's own in `dir`, run as the `postgres` user (the server refuses
/// root), from `TEST_POSTGRES_BIN`.
struct PostgresServer {
    bin: std::path::PathBuf,
    data: std::path::PathBuf,
    port: u16,
}

impl PostgresServer {
    fn create(dir: &std::path::Path, port: u16) -> Self {
        let bin = std::path::PathBuf::from(std::env::var("TEST_POSTGRES_BIN").expect(
            "TEST_POSTGRES_BIN is unset: run ./scripts/test, or first \
             `source scripts/lib/tools.sh && source scripts/lib/engines.sh && ensure_postgres`",
        ));
        let data = dir.join("cluster");
        std::fs::create_dir(&data).unwrap();
        let chown = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir)
            .status()
            .unwrap();
        assert!(chown.success(), "chown to postgres (the tests run as root)");
        let server = Self { bin, data, port };
        server.as_postgres("initdb", &["-A", "trust", "-U", "postgres", "-D"]);
        server.start();
        server
    }

    fn as_postgres(&self, tool: &str, args: &[&str]) {
        let status = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join(tool))
            .args(args)
            .arg(&self.data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{tool} failed");
    }

    fn start(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {}",
            self.port,
            self.data.display()
        );
        self.as_postgres(
            "pg_ctl",
            &["-w", "-o", &options, "-l", "/dev/null", "start", "-D"],
        );
    }

    /// Stopped at once, as if it crashed (committed data is in its write-ahead log).
    fn stop(&self) {
        self.as_postgres("pg_ctl", &["-w", "-m", "immediate", "stop", "-D"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-m", "immediate", "stop", "-D"])
            .arg(&self.data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Signs in on the engine at `url`, stops it with `stop`, checks the outage, starts it with
/// `start`, and checks the same session works again.
async fn down_means_try_again_and_back_means_signed_in_again(
    url: &str,
    dir: &std::path::Path,
    stop: impl FnOnce(),
    start: impl FnOnce(),
) {
    let engine = super::open(Some(url), dir).await;
    let world = World::start_with(move |settings| crate::support::app_on(settings, &engine)).await;
    let mut jar = Jar::default();
    world
        .sign_in(&mut jar, "ada@example.com", "/logto/sign-in")
        .await;
    assert_eq!(world.get(&mut jar, "/profile").await.status, StatusCode::OK);
    assert_eq!(world.get(&mut jar, "/readyz").await.status, StatusCode::OK);

    stop();
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

    start();
    let mut back = false;
    for _ in 0..50 {
        if world.get(&mut Jar::default(), "/readyz").await.status == StatusCode::OK {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back, "ready again once the engine is back");
    let page = world.get(&mut jar, "/profile").await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "the same session, not lost: {}",
        page.body
    );
    assert!(page.body.contains("ada@example.com"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_means_try_again_and_back_means_signed_in_again() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = std::sync::Mutex::new(Some(RedisServer::start(port, dir.path())));
    let url = format!("redis://127.0.0.1:{port}");
    down_means_try_again_and_back_means_signed_in_again(
        &url,
        dir.path(),
        || server.lock().unwrap().take().unwrap().stop(),
        || *server.lock().unwrap() = Some(RedisServer::start(port, dir.path())),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_down_means_try_again_and_back_means_signed_in_again() {
    let dir = tempfile::tempdir().unwrap();
    let server = PostgresServer::create(dir.path(), free_port());
    let app_dir = tempfile::tempdir().unwrap();
    down_means_try_again_and_back_means_signed_in_again(
        &server.url(),
        app_dir.path(),
        || server.stop(),
        || server.start(),
    )
    .await;
}
