//! The identifiers AWS gives what the stack owns, one type each: an API id cannot be passed where a route id
//! is meant. They read as `str` (and borrow as it, so maps keyed by them are read with plain strings).

macro_rules! id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> $name {
                $name(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> $name {
                $name(id.to_string())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> $name {
                $name(id)
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    )*};
}

id! {
    /// A key's id: the `kid` of the tokens it signs and of its JWKS entry, and the last part of its SSM
    /// parameter or KMS alias.
    Kid,
    /// An HTTP API's id (`a1b2c3d4e5`).
    ApiId,
    /// A JWT authorizer's id within its API.
    AuthorizerId,
    /// An integration's id within its API.
    IntegrationId,
    /// A route's id within its API.
    RouteId,
    /// A REST API resource's id within its API (a path of the resource tree).
    ResourceId,
    /// An API mapping's id within its custom domain name.
    MappingId,
    /// A CloudFront distribution's id (`E2QWRUHEXAMPLE`).
    DistributionId,
    /// A CloudFront origin access control's id.
    OriginAccessControlId,
}
