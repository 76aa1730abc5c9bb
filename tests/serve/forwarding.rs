//! What serve forwards and what it refuses to let hold it: only what it checked goes upstream, and slow or
//! too many connections are closed.

use super::*;

/// Requests that would reach what the authorizer did not check (the outside review's findings): dot segments
/// and backslashes in the path, two Authorization headers, client-sent forwarding headers and headers that
/// `Connection` names.
#[test]
fn serve_forwards_only_what_it_checked() {
    let (dir, pem) = scratch();
    let d = dir.path();
    let (mut up, port) = upstream();
    let base = format!("http://127.0.0.1:{port}");
    let server = Server::start(
        d,
        &[
            "--jwks",
            "jwks.json",
            "--integration",
            &format!("GET /lists/{{proxy+}}={base}/http/items/{{proxy}}"),
            "--integration",
            &format!("GET /lists/{{id}}={base}/http/items/{{id}}"),
            "--integration",
            &format!("GET /lists={base}/http/lists"),
        ],
        &[],
    );
    let a = &server.addr;
    let read = token(d, &pem, "lists.read");

    // Dot segments, raw or encoded, and backslashes: refused before routing; the upstream never sees them.
    for path in [
        "/lists/../admin",
        "/lists/%2e%2e/admin",
        "/lists/%2E%2E/%2e%2e/admin",
        "/lists/a/./b",
        "/lists/..%5cadmin",
        "/lists/x%2f..%2f..%2fadmin",
        "/lists/..\\admin",
    ] {
        let r = request(a, "GET", path, Some(&read), "");
        assert_eq!((r.status, r.body.as_str()), (400, r#"{"message":"Bad Request"}"#), "{path}");
    }
    // An ordinary path still goes through, to the integration's own path.
    let r = request(a, "GET", "/lists/a/b", Some(&read), "");
    assert_eq!(r.status, 200);
    assert_eq!(json(&r.body)["path"], "/http/items/a/b");

    // Two Authorization headers: 401, whichever of them is valid.
    let req = format!(
        "GET /lists HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {read}\r\nAuthorization: Bearer x\r\nConnection: close\r\n\r\n"
    );
    let r = raw(a, req.as_bytes()).unwrap();
    assert_eq!(r.status, 401);

    // Forwarding headers are serve's own, and a header named by Connection stays behind.
    let req = format!(
        "GET /lists HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {read}\r\nX-Forwarded-For: 6.6.6.6\r\n\
         X-Forwarded-Proto: https\r\nForwarded: for=6.6.6.6\r\nX-Secret-Hop: 1\r\nConnection: close, X-Secret-Hop\r\n\r\n"
    );
    let r = raw(a, req.as_bytes()).unwrap();
    assert_eq!(r.status, 200);
    let headers = json(&r.body)["headers"].clone();
    let get = |name: &str| {
        headers
            .as_object()
            .unwrap()
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str().unwrap_or_default().to_string())
    };
    assert_eq!(get("x-forwarded-for").as_deref(), Some("127.0.0.1"), "{headers}");
    assert_eq!(get("x-forwarded-proto").as_deref(), Some("http"), "{headers}");
    assert_eq!(get("forwarded"), None, "{headers}");
    assert_eq!(get("x-secret-hop"), None, "{headers}");
    let log = server.log();
    assert!(log.contains("request_error=\"a dot segment"), "{log}");
    assert!(log.contains("authorizer_error=\"more than one Authorization header\""), "{log}");
    let _ = up.kill();
}

/// Slow clients cannot hold the server: a connection that does not finish its headers in time is closed, and
/// connections beyond the limit are closed as they arrive; an ordinary request is served all along.
#[test]
fn slow_or_too_many_connections_do_not_hold_the_server() {
    let (dir, pem) = scratch();
    let d = dir.path();
    let (mut up, port) = upstream();
    let server = Server::start(
        d,
        &[
            "--jwks",
            "jwks.json",
            "--integration",
            &format!("*=http://127.0.0.1:{port}/http/lists"),
            "--header-timeout",
            "1s",
            "--max-connections",
            "20",
        ],
        &[],
    );
    let a = &server.addr;
    let read = token(d, &pem, "lists.read");
    // 30 clients that start a request and never finish its headers.
    let mut slow: Vec<TcpStream> = (0..30)
        .map(|_| {
            let mut s = TcpStream::connect(a).unwrap();
            let _ = s.write_all(b"GET /lists HTTP/1.1\r\nHost: localhost\r\n");
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s
        })
        .collect();
    // Each is closed by the server: the ten over the limit at once, the rest when the header timeout passes.
    let started = Instant::now();
    for s in &mut slow {
        let mut buf = [0u8; 64];
        match s.read(&mut buf) {
            Ok(0) => {}
            Ok(_) => panic!("a slow connection got an answer instead of being closed"),
            // A reset is a close too; a timeout is a connection the server held.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(e) => panic!("a slow connection was held: {e}"),
        }
    }
    assert!(started.elapsed() < Duration::from_secs(10), "slow connections were held");
    // And the server still answers.
    let r = request(a, "GET", "/lists", Some(&read), "");
    assert_eq!(r.status, 200);
    // A keep-alive connection left idle after its answer is closed too (not held until the client goes).
    let idle = Instant::now();
    let r = raw(a, b"GET /lists HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    assert_eq!(r.status, 401);
    assert!(idle.elapsed() < Duration::from_secs(8), "an idle keep-alive connection was held");
    let _ = up.kill();
}
