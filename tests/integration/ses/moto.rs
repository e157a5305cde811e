//! A moto server (AWS stand-in, with SES v2 `GetAccount` added: `tests/fixtures/moto_ses.py`)
//! per test on a free loopback port, killed on drop. SigV4 is
//! enforced after the first calls (`INITIAL_NO_AUTH_ACTION_COUNT`), which create an IAM user with
//! an access key and an `ses:*` policy, and the verified sender identity. Sent mail is read from
//! `/moto-api/data.json`. A missing `moto_server` fails the test with how to install it.

use serde::Deserialize;
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const INSTALL: &str = "moto_server is required by the SES tests: install it with \
                       `pip install 'moto[server]'` (scripts/test does this)";

/// moto's server plus SES v2 `GetAccount` (answered as a new, sandboxed account), which moto
/// lacks.
const LAUNCHER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/moto_ses.py");

/// The unsigned setup calls; the count is moto's `INITIAL_NO_AUTH_ACTION_COUNT`.
const SETUP_CALLS: u32 = 4;
const SETUP: &str = r#"
import boto3, json, sys
endpoint, sender = sys.argv[1], sys.argv[2]
anonymous = dict(endpoint_url=endpoint, region_name="us-east-1",
                 aws_access_key_id="setup", aws_secret_access_key="setup")
iam = boto3.client("iam", **anonymous)
iam.create_user(UserName="ses-sender")
iam.put_user_policy(UserName="ses-sender", PolicyName="send",
    PolicyDocument=json.dumps({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ses:*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="ses-sender")["AccessKey"]
boto3.client("sesv2", **anonymous).create_email_identity(EmailIdentity=sender)
print(json.dumps({"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}))
"#;

pub struct Moto {
    child: Child,
    pub url: String,
    pub key_id: String,
    pub secret: String,
}

#[derive(Deserialize)]
struct Key {
    id: String,
    secret: String,
}

/// One message moto accepted.
#[derive(Debug, Deserialize)]
pub struct Sent {
    pub source: String,
    pub subject: String,
    pub body: String,
    pub destinations: Value,
}

impl Sent {
    pub fn to(&self) -> Vec<String> {
        serde_json::from_value(self.destinations["ToAddresses"].clone()).unwrap_or_default()
    }

    /// The text between `<b>` and `</b>` (where the test templates put the code).
    pub fn code(&self) -> String {
        let start = self.body.find("<b>").expect("a code in the body") + 3;
        let end = self.body[start..].find("</b>").unwrap() + start;
        self.body[start..end].to_owned()
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Moto {
    /// Starts moto and creates the IAM key and the verified identity `sender`.
    pub fn start(sender: &str) -> Self {
        let port = free_port();
        let child = Command::new("python3")
            .arg(LAUNCHER)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("INITIAL_NO_AUTH_ACTION_COUNT", SETUP_CALLS.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("{INSTALL} ({error})"));
        let mut moto = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            key_id: String::new(),
            secret: String::new(),
        };
        moto.wait_until_listening(port);
        let key = moto.setup(sender);
        moto.key_id = key.id;
        moto.secret = key.secret;
        moto
    }

    /// Waits for the port to accept connections (no HTTP request: it would count as a call).
    fn wait_until_listening(&mut self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{INSTALL}: moto_server exited with {status}");
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not start within 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn setup(&self, sender: &str) -> Key {
        let output = Command::new("python3")
            .args(["-c", SETUP, &self.url, sender])
            .output()
            .unwrap_or_else(|error| panic!("python3 is required by the SES tests ({error})"));
        assert!(
            output.status.success(),
            "moto setup failed ({INSTALL}): {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("the setup prints the key as JSON")
    }

    /// Every message moto accepted, oldest first.
    pub async fn sent(&self) -> Vec<Sent> {
        let data: Value = reqwest::get(format!("{}/moto-api/data.json", self.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        serde_json::from_value(data["ses"]["Message"].clone()).unwrap_or_default()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
