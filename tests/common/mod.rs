//! Test harness: a moto server per test on a free loopback port, a scratch directory with a stack file, the
//! real `jwtstack` binary pointed at both, and SDK clients to inspect what it did.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;

pub const REGION: &str = "us-east-1";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python of the test tools (moto, PyJWT), installed by scripts/install-test-tools.sh.
pub fn python() -> PathBuf {
    let python = std::env::var_os("JWTSTACK_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv-test/bin/python"));
    assert!(
        python.exists(),
        "the test tools are not installed at {}: run scripts/install-test-tools.sh (scripts/test.sh does it for you)",
        python.display()
    );
    python
}

/// moto server, killed on drop.
pub struct Moto {
    child: Child,
    pub endpoint: String,
    /// The CA certificates the emulator trusts when it reads an issuer over HTTPS (as API Gateway does during
    /// an import): a local provider's test CA stands in for a public one (`Env::trust`).
    pub ca_dir: tempfile::TempDir,
}

impl Moto {
    pub fn start() -> Moto {
        let python = python();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let ca_dir = tempfile::tempdir().unwrap();
        let child = Command::new(&python)
            .arg(root().join("tests/support/moto_server.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("JWTSTACK_EMULATOR_CA_DIR", ca_dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting moto server");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "moto server did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            ca_dir,
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tests/support/{script} --port P ARGS` on a free loopback port; returns once it accepts connections.
pub fn start_support(script: &str, args: &[&str]) -> (Child, u16) {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(python())
        .arg(root().join("tests/support").join(script))
        .args(["--port", &port.to_string()])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {script}: {e}"));
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "{script} did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, port)
}

/// tests/support/idp.py: an OpenID provider over HTTPS, one realm per fault. Killed on drop.
pub struct Idp {
    child: Child,
    pub port: u16,
    /// The test CA's certificate: jwtstack trusts it through `SSL_CERT_FILE`.
    pub ca_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Idp {
    pub fn start() -> Idp {
        let dir = tempfile::tempdir().unwrap();
        let (child, port) = start_support("idp.py", &["--dir", dir.path().to_str().unwrap()]);
        Idp {
            child,
            port,
            ca_file: dir.path().join("ca.pem"),
            _dir: dir,
        }
    }

    /// The issuer URL of a realm (`good`, `mismatch`, `slash`, ...).
    pub fn issuer(&self, realm: &str) -> String {
        format!("https://localhost:{}/{realm}", self.port)
    }

    /// A token the provider signs (realm `good`), with these query parameters (`sub`, `scope`, `aud`, `ttl`).
    pub fn token(&self, query: &str) -> String {
        self.token_of("good", query)
    }

    /// A token of `realm`'s key (`good`: RS256, `ec`: ES256).
    pub fn token_of(&self, realm: &str, query: &str) -> String {
        let script = "import ssl,sys,urllib.request\n\
                      ctx = ssl.create_default_context(cafile=sys.argv[1])\n\
                      print(urllib.request.urlopen(sys.argv[2], context=ctx).read().decode())";
        let url = format!("{}/token?{query}", self.issuer(realm));
        let out = Command::new(python())
            .args(["-c", script])
            .arg(&self.ca_file)
            .arg(&url)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// tests/support/aws_proxy.py in front of an emulator: faults, latency, API Gateway's quota. Killed on drop.
pub struct Proxy {
    child: Child,
    pub endpoint: String,
    port: u16,
}

impl Proxy {
    pub fn start(target: &str, args: &[&str]) -> Proxy {
        let mut all = vec!["--target", target];
        if !args.contains(&"--domain-call-interval") {
            all.extend_from_slice(&["--domain-call-interval", DOMAIN_CALL_INTERVAL]);
        }
        all.extend_from_slice(args);
        let (child, port) = start_support("aws_proxy.py", &all);
        Proxy {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
        }
    }

    /// `{"requests": n, "faults": {kind: n}, "quota_throttled": n}`.
    pub fn stats(&self) -> serde_json::Value {
        use std::io::{Read, Write};
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.write_all(b"GET /__proxy/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        serde_json::from_str(out.split("\r\n\r\n").nth(1).unwrap()).unwrap()
    }
}

/// A request that AWS's published model forbids fails the test that sent it, whatever the test asserted.
impl Drop for Proxy {
    fn drop(&mut self) {
        let violations = if std::thread::panicking() {
            serde_json::Value::Null
        } else {
            self.stats()["model_violations"].clone()
        };
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(v) = violations.as_array().filter(|v| !v.is_empty()) {
            panic!(
                "{} request(s) that AWS's API model forbids went through the proxy:\n{}",
                v.len(),
                v.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join("\n")
            );
        }
    }
}

/// One test's world: an emulator, a directory, a stack file.
pub struct Env {
    /// Between the binary and the emulator: every request `cmd` sends is checked against AWS's published API
    /// models, and one a model forbids fails the test (see `Proxy`'s Drop). Tests that need AWS's behaviour
    /// start a strict proxy of their own, which checks the same.
    checker: Proxy,
    pub moto: Moto,
    pub dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("aws-config"), "").unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let moto = Moto::start();
        Env {
            checker: Proxy::start(&moto.endpoint, &[]),
            moto,
            dir,
            rt,
        }
    }

    /// Lets the emulator read the local provider's issuer over HTTPS (API Gateway reads every JWT authorizer's
    /// issuer while importing).
    pub fn trust(&self, idp: &Idp) {
        std::fs::copy(&idp.ca_file, self.moto.ca_dir.path().join(format!("idp-{}.pem", idp.port))).unwrap();
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write_stack(&self, text: &str) {
        std::fs::write(self.path().join("stack.yaml"), text).unwrap();
    }

    /// The binary, in the scratch directory, talking to this test's emulator and nothing else.
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut c = jwtstack_in(self.path());
        c.env("AWS_ENDPOINT_URL", &self.checker.endpoint);
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        let out = self.cmd().args(args).output().unwrap();
        Output::from(out)
    }

    /// The binary talking to AWS through `endpoint` (a proxy in front of this test's emulator).
    pub fn cmd_via(&self, endpoint: &str) -> assert_cmd::Command {
        let mut c = self.cmd();
        c.env("AWS_ENDPOINT_URL", endpoint);
        c
    }

    pub fn run_via(&self, endpoint: &str, args: &[&str]) -> Output {
        Output::from(self.cmd_via(endpoint).args(args).output().unwrap())
    }

    /// Creates a Lambda function in the emulator; returns its ARN.
    pub fn create_function(&self, name: &str) -> String {
        let out = Command::new(python())
            .arg(root().join("tests/support/create_function.py"))
            .args([&self.moto.endpoint, name])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// An SSM parameter, decrypted; `None` when it does not exist.
    pub fn parameter(&self, name: &str) -> Option<aws_sdk_ssm::types::Parameter> {
        let sdk = self.sdk();
        let out = self
            .block_on(sdk.ssm.get_parameter().name(name).with_decryption(true).send())
            .ok()?;
        out.parameter().cloned()
    }

    /// The names of the stack's SSM parameters (everything under `/jwtstack/{name}`).
    pub fn stack_parameters(&self, name: &str) -> Vec<String> {
        let sdk = self.sdk();
        let out = self
            .block_on(
                sdk.ssm
                    .get_parameters_by_path()
                    .path(format!("/jwtstack/{name}"))
                    .recursive(true)
                    .send(),
            )
            .unwrap();
        out.parameters().iter().filter_map(|p| p.name().map(str::to_string)).collect()
    }

    /// An SSM parameter's decrypted value and version; `None` when it does not exist.
    pub fn parameter_value(&self, name: &str) -> Option<(String, i64)> {
        let p = self.parameter(name)?;
        Some((p.value()?.to_string(), p.version()))
    }

    /// The SDK's configuration for the emulator, for clients the tests build themselves.
    pub fn sdk_config(&self) -> aws_config::SdkConfig {
        self.block_on(
            aws_config::defaults(BehaviorVersion::latest())
                .region(aws_config::Region::new(REGION))
                .endpoint_url(&self.moto.endpoint)
                .credentials_provider(aws_sdk_s3::config::Credentials::new("test", "test", None, None, "tests"))
                .load(),
        )
    }

    /// Where `cmd` sends the binary's AWS calls (the model-checking proxy in front of the emulator).
    pub fn endpoint(&self) -> &str {
        &self.checker.endpoint
    }

    pub fn sdk(&self) -> Sdk {
        let conf = self.sdk_config();
        Sdk {
            s3: aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).build()),
            ssm: aws_sdk_ssm::Client::new(&conf),
            apigw: aws_sdk_apigatewayv2::Client::new(&conf),
            lambda: aws_sdk_lambda::Client::new(&conf),
            iam: aws_sdk_iam::Client::new(&conf),
            kms: aws_sdk_kms::Client::new(&conf),
            cloudfront: aws_sdk_cloudfront::Client::new(&conf),
            route53: aws_sdk_route53::Client::new(&conf),
            logs: aws_sdk_cloudwatchlogs::Client::new(&conf),
        }
    }

    /// An HTTP API made by hand (someone else's, for a stack to adopt by id): its id.
    pub fn create_http_api(&self, name: &str) -> String {
        let api = self
            .block_on(
                self.sdk()
                    .apigw
                    .create_api()
                    .name(name)
                    .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
                    .send(),
            )
            .unwrap();
        api.api_id().unwrap().to_string()
    }

    /// Writes `lines` into a new stream of a log group, stamped now, as the service that owns the group would
    /// (the emulator runs neither API Gateway's access logging nor Lambda functions).
    pub fn put_log_lines(&self, group: &str, lines: &[String]) {
        let logs = self.sdk().logs;
        self.block_on(logs.create_log_stream().log_group_name(group).log_stream_name("s").send())
            .unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let events = lines.iter().enumerate().map(|(i, m)| {
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(now + i as i64)
                .message(m)
                .build()
                .unwrap()
        });
        self.block_on(
            logs.put_log_events()
                .log_group_name(group)
                .log_stream_name("s")
                .set_log_events(Some(events.collect()))
                .send(),
        )
        .unwrap();
    }

    /// The alias records of a Route 53 zone: (type, target without the final dot).
    pub fn alias_records(&self, zone: &str) -> Vec<(String, String)> {
        let records = self
            .block_on(self.sdk().route53.list_resource_record_sets().hosted_zone_id(zone).send())
            .unwrap();
        records
            .resource_record_sets()
            .iter()
            .filter_map(|r| {
                Some((
                    r.r#type().as_str().to_string(),
                    r.alias_target()?.dns_name().trim_end_matches('.').to_string(),
                ))
            })
            .collect()
    }

    /// Puts an ACM certificate for `domain` in `region` of the emulator (`import`: ISSUED; `request`: pending).
    pub fn certificate(&self, region: &str, domain: &str, how: &str) -> String {
        let out = Command::new(python())
            .arg(root().join("tests/support/certificate.py"))
            .args([&self.moto.endpoint, region, domain, how])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}

/// Starts the binary in the background against `endpoint` (to be killed mid-run), with extra variables.
pub fn spawn(env: &Env, endpoint: &str, vars: &[(&str, &str)], args: &[&str]) -> std::process::Child {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("jwtstack"));
    isolate_std(&mut c, env.path());
    c.env("AWS_ENDPOINT_URL", endpoint)
        .envs(vars.iter().copied())
        .current_dir(env.path())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c.spawn().unwrap()
}

/// Runs the binary against `endpoint` and kills it after `ms`; whether it was still running then (killed mid-run).
pub fn kill_after(env: &Env, endpoint: &str, args: &[&str], ms: u64) -> bool {
    let mut child = spawn(env, endpoint, &[], args);
    std::thread::sleep(std::time::Duration::from_millis(ms));
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    running
}

/// API Gateway's one custom domain change per 30 s per account, as the strict proxy and jwtstack both apply it in
/// the suite: the same rule, at 1 s, so that a test does not wait half a minute per domain change.
pub const DOMAIN_CALL_INTERVAL: &str = "1";

/// Keeps the developer's own AWS settings out of a test run.
pub fn isolate_std(c: &mut Command, dir: &Path) {
    for var in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_DEFAULT_REGION",
        "RUST_LOG",
        "NO_COLOR",
    ] {
        c.env_remove(var);
    }
    let empty = dir.join("aws-config");
    if !empty.exists() {
        std::fs::write(&empty, "").unwrap();
    }
    c.env("AWS_CONFIG_FILE", &empty)
        .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
        .env("JWTSTACK_DOMAIN_CALL_INTERVAL", DOMAIN_CALL_INTERVAL)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("JWTSTACK_CALL_LOG", CALL_LOG);
}

/// Every command and subcommand, in the order the CLI reference lists them (tests/cli.rs snapshots each one's
/// help; tests/reference.rs writes them into docs/reference/cli.md).
pub const COMMANDS: &[&str] = &[
    "validate",
    "plan",
    "export-openapi",
    "deploy",
    "teardown",
    "outputs",
    "unlock",
    "token",
    "verify",
    "rotate",
    "rotate start",
    "rotate activate",
    "rotate finish",
    "rotate status",
    "status",
    "keys delete",
    "serve",
    "probe",
    "logs",
    "init",
    "schema",
    "check",
    "completions",
    "man",
];

/// Every AWS operation the suite makes the binary send, one JSON line each (`JWTSTACK_CALL_LOG`):
/// `scripts/iam-check.py` holds them against the policies in `docs/iam/` once the suite has run.
pub const CALL_LOG: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/jwtstack-calls.jsonl");

/// The binary, isolated from the developer's AWS settings, in `dir`.
pub fn jwtstack_in(dir: &Path) -> assert_cmd::Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("jwtstack"));
    isolate_std(&mut c, dir);
    c.current_dir(dir);
    assert_cmd::Command::from_std(c)
}

pub struct Sdk {
    pub s3: aws_sdk_s3::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub apigw: aws_sdk_apigatewayv2::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub iam: aws_sdk_iam::Client,
    pub kms: aws_sdk_kms::Client,
    pub cloudfront: aws_sdk_cloudfront::Client,
    pub route53: aws_sdk_route53::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
}

#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Output {
    fn from(o: std::process::Output) -> Output {
        Output {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into(),
            stderr: String::from_utf8_lossy(&o.stderr).into(),
        }
    }
}

impl Output {
    #[track_caller]
    pub fn ok(self) -> Output {
        assert_eq!(
            self.code, 0,
            "exit {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn code(self, code: i32) -> Output {
        assert_eq!(
            self.code, code,
            "exit {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    /// The write-call count from `--stats`.
    pub fn writes(&self) -> u64 {
        let line = self.stderr.lines().find(|l| l.starts_with("AWS calls: ")).expect("--stats line");
        let inside = line.split('(').nth(1).unwrap();
        inside.split(' ').next().unwrap().parse().unwrap()
    }

    pub fn calls(&self) -> u64 {
        let line = self.stderr.lines().find(|l| l.starts_with("AWS calls: ")).expect("--stats line");
        line["AWS calls: ".len()..].split(' ').next().unwrap().parse().unwrap()
    }
}

/// A stack file for tests, in the shape of the README's example.
pub fn stack_yaml(name: &str, bucket: &str, api: &str, lambda_arn: Option<&str>) -> String {
    let mut s = format!(
        "name: {name}\nregion: us-east-1\nissuer:\n  bucket: {bucket}\nkey_id: {name}-k1\naudience: [{name}-api]\napi:\n  {api}\nroutes:\n\
         \x20 - route: GET /lists/{{proxy+}}\n    scopes: [lists.read]\n    integration:\n      http: https://example.com/lists/{{proxy}}\n\
         \x20 - route: GET /lists\n    scopes: [lists.read, lists.admin]\n    integration:\n      http: https://example.com/lists\n"
    );
    if let Some(arn) = lambda_arn {
        s.push_str(&format!(
            "  - route: POST /lists\n    scopes: [lists.write]\n    integration:\n      lambda: {arn}\n"
        ));
    }
    s
}

/// Parses a command's JSON output, showing it when it is not JSON.
#[track_caller]
pub fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}
