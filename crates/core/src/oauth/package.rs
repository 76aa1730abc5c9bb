//! The token endpoint's Lambda deployment package: `functions/token-endpoint/index.mjs`, compiled into the
//! binary, zipped the same way every time (one stored entry, a fixed time and mode), so its SHA-256, which
//! Lambda reports as `CodeSha256`, changes only when jwtstack's own source of the function does. A deploy
//! compares the two and sends the code again only then.

use std::sync::OnceLock;

use base64::Engine;

/// The function's source, as the repository holds it.
pub const SOURCE: &str = include_str!("../../../../functions/token-endpoint/index.mjs");

/// The Lambda runtime it runs on: Node.js, whose runtime ships the AWS SDK for JavaScript v3 the source
/// imports (Lambda Developer Guide, "Building Lambda functions with Node.js"), so nothing is vendored.
pub const RUNTIME: &str = "nodejs24.x";
/// `index.mjs`'s exported `handler`.
pub const HANDLER: &str = "index.handler";
/// Memory (and with it CPU, which the RSA signature uses): 256 MB.
pub const MEMORY_MB: i32 = 256;
/// A token takes one signature (and one SSM or KMS read on a cold start): 10 seconds is ample.
pub const TIMEOUT_SECONDS: i32 = 10;
/// Graviton: the same code, cheaper per millisecond (AWS Lambda pricing).
pub const ARCHITECTURE: &str = "arm64";
/// How long the function's log group keeps its lines.
pub const LOG_RETENTION_DAYS: u32 = 30;

struct Package {
    zip: Vec<u8>,
    sha256: String,
}

fn package() -> &'static Package {
    static PACKAGE: OnceLock<Package> = OnceLock::new();
    PACKAGE.get_or_init(|| {
        let zip = zip_of(SOURCE);
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &zip);
        Package {
            sha256: base64::engine::general_purpose::STANDARD.encode(digest.as_ref()),
            zip,
        }
    })
}

/// The zip Lambda gets (`CreateFunction`'s and `UpdateFunctionCode`'s `ZipFile`).
pub fn zip() -> &'static [u8] {
    &package().zip
}

/// Its SHA-256, base64, as Lambda reports `CodeSha256`.
pub fn code_sha256() -> &'static str {
    &package().sha256
}

fn zip_of(source: &str) -> Vec<u8> {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // Writing to memory: the only failures are the zip crate's own limits, which one small file is far from.
    w.start_file("index.mjs", options).expect("one entry in memory");
    w.write_all(source.as_bytes()).expect("writing to memory");
    w.finish().expect("finishing in memory").into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_is_the_same_bytes_every_time_and_holds_the_source() {
        assert_eq!(zip_of(SOURCE), zip_of(SOURCE));
        assert_eq!(zip(), zip_of(SOURCE).as_slice());
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip())).unwrap();
        assert_eq!(archive.len(), 1);
        let mut entry = archive.by_name("index.mjs").unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
        assert_eq!(text, SOURCE);
        assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o644));
        // The digest is an independent SHA-256 of the zip, base64 (Lambda's CodeSha256).
        use sha2::Digest;
        let expected = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(zip()));
        assert_eq!(code_sha256(), expected);
        assert!(SOURCE.contains("export const handler") || SOURCE.contains("export async function handler"));
    }
}
