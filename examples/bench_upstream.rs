//! A trivial HTTP upstream for `scripts/bench-serve.sh`: answers every request `200 ok`, so that the
//! benchmark measures `jwtstack serve` and not the backend.
//!
//! `cargo run --release --example bench_upstream -- PORT`

use axum::Router;

#[tokio::main]
async fn main() {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(18080);
    let app = Router::new().fallback(|| async { "ok" });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("binding the port");
    axum::serve(listener, app).await.expect("serving");
}
