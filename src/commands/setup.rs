//! init, schema, completions, man: a stack file to start from, the schema editors check it with, and the
//! shell's and man's help.

use std::io::IsTerminal;
use std::path::Path;

use clap::CommandFactory;

use crate::cli::{Cli, Global, InitArgs};
use crate::error::Error;
use crate::exit;
use jwtstack_core::config;

/// The values `init` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitValues {
    pub name: String,
    pub bucket: String,
    pub audience: String,
    pub key_id: String,
    pub route: String,
    pub scope: String,
    pub integration: String,
}

/// A commented stack file for these values; it names the schema for editors.
pub fn init_text(v: &InitValues) -> String {
    let integration = if v.integration.starts_with("arn:") {
        format!("lambda: {}", config::yaml_scalar(&v.integration))
    } else {
        format!("http: {}", config::yaml_scalar(&v.integration))
    };
    format!(
        r#"# yaml-language-server: $schema=stack.schema.json
# A jwtstack stack: `jwtstack validate` checks it offline, `jwtstack plan` shows what deploy would do,
# `jwtstack deploy` makes it so. Every field is described in the jwtstack repository's docs/stack-file.md.

# Names and tags everything the stack owns in AWS: [a-z0-9-], 1 to 40 characters.
name: {name}
# region: us-east-1       # optional; otherwise --region or the AWS config chain (AWS_REGION, profile)

issuer:
  # Hosts .well-known/openid-configuration and .well-known/jwks.json; created when missing. Bucket names are
  # global: pick one nobody else has.
  bucket: {bucket}
  # public: true                    # default: anyone may GET .well-known/* and nothing else
  # Where public buckets are forbidden: keep the bucket private behind a CloudFront distribution jwtstack
  # creates (the issuer is then https://{{its domain}}; docs/cloudfront.md):
  # cloudfront: true
  # or under your own hostname, with an ACM certificate in us-east-1:
  # cloudfront: {{domain: auth.example.com, certificate_arn: "arn:aws:acm:us-east-1:...", hosted_zone_id: Z...}}
  # For tokens another provider signs (Keycloak, WSO2, Auth0...), replace bucket with:
  # external: https://sso.example.com/realms/main

# The kid of the signing key, generated on the first deploy and kept in SSM Parameter Store (or in KMS).
key_id: {key_id}
# key_store: kms                    # or keep the private key in KMS, where nothing can read it (docs/key-stores.md)

# The audiences (client ids) the authorizer accepts: a token's `aud` must be one of them.
audience: [{audience}]

# The longest lifetime `jwtstack token` mints.
token_max_ttl: 1h

api:
  name: {name}-api        # an HTTP API the stack creates; or `id: a1b2c3d4e5` for an existing one

routes:                   # 1 to 300
  - route: {route}
    scopes: [{scope}]     # a token needs at least one of these in its `scope` (or `scp`) claim
    integration:
      {integration}
  # A public route (a login or health endpoint): no token, no scopes.
  # - route: POST /login
  #   auth: none
  #   integration: {{lambda: "arn:aws:lambda:..."}}

# The API around the routes (docs/api-settings.md):
# cors: {{allow_origins: [https://app.example.com], allow_methods: [GET, POST], allow_headers: [authorization, content-type]}}
# access_log: {{retention_days: 30}}          # /aws/vendedlogs/jwtstack/{name}/access; read it with `jwtstack logs`
# throttling: {{rate: 100, burst: 200}}       # the stage's default route limits
# domain: {{name: api.example.com, certificate_arn: "arn:aws:acm:REGION:...", hosted_zone_id: Z...}}
"#,
        name = v.name,
        bucket = config::yaml_scalar(&v.bucket),
        key_id = config::yaml_scalar(&v.key_id),
        audience = config::yaml_scalar(&v.audience),
        route = config::yaml_scalar(&v.route),
        scope = config::yaml_scalar(&v.scope),
    )
}

/// `[a-z0-9-]` from a directory name, or `my-api`.
fn name_from(dir: &Path) -> String {
    let raw = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let cleaned: String = raw.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let trimmed = cleaned.trim_matches('-').chars().take(40).collect::<String>();
    if trimmed.is_empty() { "my-api".into() } else { trimmed }
}

fn ask(prompt: &str, default: &str) -> Result<String, Error> {
    let answer = super::prompt(&format!("{prompt} [{default}]: "), "the answer")?;
    Ok(if answer.is_empty() {
        default.to_string()
    } else {
        answer.to_string()
    })
}

pub fn init(g: &Global, args: InitArgs) -> Result<u8, Error> {
    let path = &g.file;
    if path.exists() && !args.force {
        return Err(Error::Usage(format!(
            "{} exists; nothing was written (pass --force to replace it, or -f OTHER.yaml)",
            path.display()
        )));
    }
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let date = jwtstack_core::clock::format_utc(jwtstack_core::clock::system_now());
    let cwd = std::env::current_dir().unwrap_or_default();
    let pick = |given: Option<String>, prompt: &str, default: String| -> Result<String, Error> {
        match given {
            Some(v) => Ok(v),
            None if interactive => ask(prompt, &default),
            None => Ok(default),
        }
    };
    let name = pick(args.name, "Stack name", name_from(&cwd))?;
    let bucket = pick(args.bucket, "Issuer bucket (globally unique)", format!("{name}-jwt-issuer"))?;
    let audience = pick(args.audience, "Audience (client id)", format!("{name}-api"))?;
    let key_id = args.key_id.unwrap_or_else(|| format!("{name}-{}", &date[..7]));
    let route = pick(args.route, "First route", "GET /hello".into())?;
    let scope = pick(args.scope, "Its scope", "hello.read".into())?;
    let integration = pick(
        args.integration,
        "Its backend (http URL or Lambda ARN)",
        "https://example.com/hello".into(),
    )?;
    let values = InitValues {
        name,
        bucket,
        audience,
        key_id,
        route,
        scope,
        integration,
    };
    let text = init_text(&values);
    // What init writes must validate: a bad answer is reported now, with its position, and nothing is written.
    config::parse_str(&path.display().to_string(), &text)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::Failure(format!("creating {}: {e}", dir.display())))?;
    }
    std::fs::write(path, &text).map_err(|e| Error::Failure(format!("writing {}: {e}", path.display())))?;
    let schema = path.with_file_name("stack.schema.json");
    if !schema.exists() {
        std::fs::write(&schema, config::schema_json()).map_err(|e| Error::Failure(format!("writing {}: {e}", schema.display())))?;
    }
    crate::outln!("Wrote {} (and {} for editors).", path.display(), schema.display());
    crate::outln!("Next: jwtstack validate, then jwtstack plan, then jwtstack deploy.");
    Ok(exit::OK)
}

pub fn schema(output: bool) -> Result<u8, Error> {
    if output {
        crate::out!("{}", crate::output::schema_json());
    } else {
        crate::out!("{}", config::schema_json());
    }
    Ok(exit::OK)
}

pub fn completions(shell: clap_complete::Shell) -> Result<u8, Error> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "jwtstack", &mut script);
    crate::out!("{}", String::from_utf8_lossy(&script));
    Ok(exit::OK)
}

pub fn man(dir: Option<&std::path::Path>) -> Result<u8, Error> {
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(|e| Error::Failure(format!("creating {}: {e}", dir.display())))?;
        clap_mangen::generate_to(Cli::command(), dir)
            .map_err(|e| Error::Failure(format!("writing the man pages into {}: {e}", dir.display())))?;
        crate::outln!("Wrote jwtstack.1 and one page per subcommand into {}.", dir.display());
        return Ok(exit::OK);
    }
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| Error::Failure(format!("rendering the man page: {e}")))?;
    crate::out!("{}", String::from_utf8_lossy(&out));
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_names_become_stack_names() {
        assert_eq!(name_from(Path::new("/home/me/My Shop_API")), "my-shop-api");
        assert_eq!(name_from(Path::new("/")), "my-api");
    }

    #[test]
    fn what_init_writes_validates() {
        let v = InitValues {
            name: "shop".into(),
            bucket: "shop-jwt-issuer".into(),
            audience: "shop-api".into(),
            key_id: "shop-2026-11".into(),
            route: "GET /orders/{id}".into(),
            scope: "orders.read".into(),
            integration: "arn:aws:lambda:us-east-1:123456789012:function:orders".into(),
        };
        let s = config::parse_str("stack.yaml", &init_text(&v)).unwrap();
        assert_eq!(s.routes[0].key.as_str(), "GET /orders/{id}");
        assert!(matches!(s.routes[0].integration, config::Integration::Lambda { .. }));
    }
}
