//! A trivial HTTP upstream for `scripts/bench-serve.sh`: answers every request `200 ok`, so that the
//! benchmark measures `jwtstack serve` and not the backend.
//!
//! `cargo run --release --example bench_upstream -- PORT`

use bytes::Bytes;
use http_body_util::Full;

#[tokio::main]
async fn main() {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(18080);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("binding the port");
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        tokio::spawn(async move {
            let ok = hyper::service::service_fn(|_req| async {
                Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from_static(b"ok"))))
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), ok)
                .await;
        });
    }
}
