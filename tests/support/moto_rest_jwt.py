"""JWT authorizers of REST APIs (API Gateway v1, `apigateway`), which moto 5.2.5 does not know: CreateAuthorizer
with type JWT is refused as outside the enum [TOKEN, REQUEST, COGNITO_USER_POOLS] (ValidationException), and the
Authorizer model has no jwtConfiguration. Installed by `moto_server.py`; `test_moto_rest_jwt.py` tests it.

Sources: the API model in botocore 1.44.18 (apigateway 2015-07-09: CreateAuthorizerRequest, Authorizer,
JwtConfigurationInput, JwtIssuerInput, JwtAdditionalClaim, JwtSigningAlgorithm, JwtClaimFormat, JwtIssuer), whose
text is that of the API Reference pages API_Jwt*.html; the Developer Guide's "Create a JWT authorizer for a REST
API" (rest-api-jwt-authorizer-create.html), "Update a JWT authorizer" (rest-api-jwt-authorizer-update.html) and
"Signing keys and troubleshooting JWT authorizers" (rest-api-jwt-authorizer-keys.html).

CreateAuthorizer with type JWT (every other type goes to moto unchanged):
- jwtConfiguration is required ("Required for JWT authorizers", CreateAuthorizerRequest).
- identitySource is required and "must be a single request-header mapping expression,
  method.request.header.<name> ... Query string parameters are not supported, and there is no default"
  (CreateAuthorizerRequest.identitySource).
- providerARNs, authorizerUri, authorizerCredentials and authorizerResultTtlInSeconds: "This property is not
  supported for JWT authorizers" (CreateAuthorizerRequest). Refused here; whether AWS refuses or ignores them is not
  documented (an inference). No TTL is reported for a JWT authorizer (moto reports 300 for every authorizer).
- issuers and defaultAlgorithms are required (JwtConfigurationInput); an empty list is refused like a missing one
  (an inference: the model gives no minimum length).
- defaultAlgorithms: RS256, RS384, RS512, ES256, ES384, ES512 only; "HMAC (HS256, HS384, HS512) and none are not
  valid values" (JwtSigningAlgorithm).
- issuer: "an absolute https URL that includes a host and has no user information, query, or fragment"
  (JwtIssuerInput); "Issuer URLs must be unique" (JwtConfigurationInput), compared as exact strings, since the issuer
  "must match the token's iss claim exactly, including any trailing slash" (the create page).
- audiences: required (JwtIssuerInput), "One or more audience values" (the create page), "None can be empty"
  (JwtIssuerInput).
- additionalClaims: "Claim names must be unique within the issuer" (JwtIssuerInput); claimName "cannot be empty and
  cannot be iss, aud, exp, nbf, iat, scope, or scp"; format "The only valid value is SINGLE_STRING"; expectedValues
  "The value cannot be empty" (read here as: neither the list nor a value in it); required is a Boolean
  (JwtAdditionalClaim). claimName and format are required members.
- jwksUri "is read-only and cannot be set" (JwtIssuer), so an issuer carrying one is refused.
Every refusal is BadRequestException (400), the only validation error the model lists for CreateAuthorizer and
UpdateAuthorizer. AWS documents no message text for any of these rules: the messages are this emulator's own, each
naming the rule it breaks.

GetAuthorizer, GetAuthorizers and the answers of Create/UpdateAuthorizer return jwtConfiguration for a JWT
authorizer ("present only when type is JWT", Authorizer), in the JwtConfiguration shape, with what was sent: a
member left out (required, additionalClaims, expectedValues) is left out of the answer too, as AWS's defaulting on
read is not documented. Each issuer's jwksUri is left out: AWS resolves it from the issuer's OIDC discovery
document ("When you create or update an authorizer, API Gateway reads this document and records the location of
the issuer's key set", the keys page), which this emulator does not fetch (no network), so it cannot be derived.
For the same reason, a discovery document that is unreachable or names another issuer is not refused here.

UpdateAuthorizer of a JWT authorizer: "API Gateway accepts a single replace operation on the /jwtConfiguration
path, with the complete configuration as the value. API Gateway keeps nothing from the previous configuration"
(the update page). The value is the configuration as JSON text; it is checked by the rules above and replaces the
stored one whole. Any other operation on /jwtConfiguration or a path under it, or more than one, is refused.
Patches of the unsupported fields are refused; an identitySource patch is held to the JWT rule and cannot remove it.
Other patches (name, authType) go to moto. Changing type to or from JWT by a patch is left to moto (the docs say
nothing of it). DeleteAuthorizer is moto's.

Not modelled: the request-time evaluation (moto serves no execute-api), methods (moto's PutMethod already keeps
authorizationType JWT and authorizationScopes), OpenAPI import of a REST JWT authorizer (no documented shape),
quotas (none documented).
"""

import copy
import json
import re
from urllib.parse import urlsplit

from moto.apigateway import models
from moto.apigateway.exceptions import BadRequestException
from moto.apigateway.responses import APIGatewayResponse

TYPES = ["TOKEN", "REQUEST", "COGNITO_USER_POOLS", "JWT"]  # AuthorizerType
ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]  # JwtSigningAlgorithm
RESERVED_CLAIMS = ["iss", "aud", "exp", "nbf", "iat", "scope", "scp"]  # JwtAdditionalClaim.claimName
NOT_FOR_JWT = ["providerARNs", "authorizerUri", "authorizerCredentials", "authorizerResultTtlInSeconds"]
# method.request.header.<name>, the name an HTTP header field name (RFC 9110 token).
HEADER_EXPRESSION = re.compile(r"method\.request\.header\.[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

_installed = False


def bad(message):
    raise BadRequestException(message)


def check_identity_source(value):
    if not value:
        bad("identitySource is required for JWT authorizers: a single request-header mapping expression, "
            "method.request.header.<name>")
    if not isinstance(value, str) or not HEADER_EXPRESSION.fullmatch(value):
        bad(f"Invalid identitySource {value!r} for a JWT authorizer: it must be a single request-header mapping "
            "expression, method.request.header.<name>")


def check_issuer_url(url):
    ok = isinstance(url, str) and url != "" and not re.search(r"\s", url) and "?" not in url and "#" not in url
    if ok:
        try:
            parts = urlsplit(url)
            ok = parts.scheme.lower() == "https" and bool(parts.hostname) and "@" not in parts.netloc
        except ValueError:
            ok = False
    if not ok:
        bad(f"Invalid issuer {url!r}: the issuer must be an absolute https URL that includes a host and has no "
            "user information, query, or fragment")


def check_strings(value, what, at_least_one):
    if not isinstance(value, list) or (at_least_one and not value):
        bad(f"Invalid {what}: it must be a list of at least one value")
    for v in value:
        if not isinstance(v, str) or v == "":
            bad(f"Invalid {what}: a value cannot be empty")


def check_claim(claim, issuer):
    if not isinstance(claim, dict):
        bad(f"Invalid additionalClaims of issuer {issuer}: each claim rule must be an object")
    name = claim.get("claimName")
    if not isinstance(name, str) or name == "":
        bad(f"Invalid additionalClaims of issuer {issuer}: claimName is required and cannot be empty")
    if name in RESERVED_CLAIMS:
        bad(f"Invalid additionalClaims of issuer {issuer}: claimName cannot be {name} (nor any of "
            f"{', '.join(RESERVED_CLAIMS)})")
    if claim.get("format") != "SINGLE_STRING":
        bad(f"Invalid format {claim.get('format')!r} of claim {name}: the only valid value is SINGLE_STRING")
    out = {"claimName": name, "format": "SINGLE_STRING"}
    if "required" in claim and claim["required"] is not None:
        if not isinstance(claim["required"], bool):
            bad(f"Invalid required of claim {name}: it must be a Boolean")
        out["required"] = claim["required"]
    if "expectedValues" in claim and claim["expectedValues"] is not None:
        check_strings(claim["expectedValues"], f"expectedValues of claim {name}", at_least_one=True)
        out["expectedValues"] = list(claim["expectedValues"])
    return out


def check_issuer(entry):
    if not isinstance(entry, dict):
        bad("Invalid jwtConfiguration: each issuer must be an object")
    url = entry.get("issuer")
    check_issuer_url(url)
    if "jwksUri" in entry:
        bad(f"Invalid issuer {url}: jwksUri is read-only and cannot be set")
    if entry.get("audiences") is None:
        bad(f"Invalid issuer {url}: audiences is required")
    check_strings(entry["audiences"], f"audiences of issuer {url}", at_least_one=True)
    out = {"issuer": url, "audiences": list(entry["audiences"])}
    claims = entry.get("additionalClaims")
    if claims is not None:
        if not isinstance(claims, list):
            bad(f"Invalid additionalClaims of issuer {url}: it must be a list")
        out["additionalClaims"] = [check_claim(c, url) for c in claims]
        names = [c["claimName"] for c in out["additionalClaims"]]
        for name in names:
            if names.count(name) > 1:
                bad(f"Invalid additionalClaims of issuer {url}: claim names must be unique within the issuer "
                    f"({name} is given twice)")
    return out


def check_configuration(config):
    """The configuration as AWS's JwtConfiguration shape, or BadRequestException naming the rule it breaks."""
    if not isinstance(config, dict):
        bad("Invalid jwtConfiguration: it must be an object")
    issuers = config.get("issuers")
    algorithms = config.get("defaultAlgorithms")
    if issuers is None:
        bad("Invalid jwtConfiguration: issuers is required")
    if algorithms is None:
        bad("Invalid jwtConfiguration: defaultAlgorithms is required")
    if not isinstance(issuers, list) or not issuers:
        bad("Invalid jwtConfiguration: issuers must list at least one issuer")
    if not isinstance(algorithms, list) or not algorithms:
        bad("Invalid jwtConfiguration: defaultAlgorithms must list at least one algorithm")
    for a in algorithms:
        if a not in ALGORITHMS:
            bad(f"Invalid defaultAlgorithms value {a!r}: valid values are {', '.join(ALGORITHMS)}")
    out_issuers = [check_issuer(i) for i in issuers]
    urls = [i["issuer"] for i in out_issuers]
    for url in urls:
        if urls.count(url) > 1:
            bad(f"Invalid jwtConfiguration: issuer URLs must be unique ({url} is given twice)")
    return {"issuers": out_issuers, "defaultAlgorithms": list(algorithms)}


def install():
    global _installed
    if _installed:
        return
    _installed = True
    moto_create = APIGatewayResponse.create_authorizer
    moto_to_json = models.Authorizer.to_json
    moto_apply = models.Authorizer.apply_operations

    def create_authorizer(self):
        authorizer_type = self._get_param("type")
        if authorizer_type and authorizer_type not in TYPES:
            # moto's answer, with the enum of the current model.
            return self.error(
                "ValidationException",
                "1 validation error detected: "
                f"Value '{authorizer_type}' at 'createAuthorizerInput.type' failed "
                f"to satisfy constraint: Member must satisfy enum value set: [{', '.join(TYPES)}]")
        if authorizer_type != "JWT":
            return moto_create(self)
        restapi_id = self.path.split("/")[2]
        self.backend.get_rest_api(restapi_id)  # NotFoundException first, as for the other types
        for field in NOT_FOR_JWT:
            if self._get_param(field) is not None:
                bad(f"{field} is not supported for JWT authorizers")
        identity_source = self._get_param("identitySource")
        check_identity_source(identity_source)
        config = self._get_param("jwtConfiguration")
        if config is None:
            bad("jwtConfiguration is required for JWT authorizers")
        config = check_configuration(config)
        authorizer = self.backend.create_authorizer(
            restapi_id=restapi_id,
            name=self._get_param("name"),
            authorizer_type="JWT",
            auth_type=self._get_param("authType"),
            identity_source=identity_source,
            authorizer_result_ttl=None,
        )
        authorizer.jwt_configuration = config
        return 201, {"status": 201}, json.dumps(authorizer.to_json())

    def to_json(self):
        out = moto_to_json(self)
        if self.type == "JWT":
            if out.get("authorizerResultTtlInSeconds") is None:
                out.pop("authorizerResultTtlInSeconds", None)
            config = getattr(self, "jwt_configuration", None)
            if config is not None:
                out["jwtConfiguration"] = copy.deepcopy(config)
        return out

    def apply_operations(self, patch_operations):
        if self.type != "JWT":
            return moto_apply(self, patch_operations)
        ops = list(patch_operations or [])
        on_config = [op for op in ops if op.get("path", "").split("/")[1:2] == ["jwtConfiguration"]]
        rest = [op for op in ops if op not in on_config]
        config = None
        if on_config:
            op = on_config[0]
            if len(on_config) > 1 or op.get("op") != "replace" or op.get("path") != "/jwtConfiguration":
                bad("A JWT authorizer's configuration is updated by a single replace operation on the "
                    "/jwtConfiguration path, with the complete configuration as the value")
            try:
                value = json.loads(op.get("value") or "")
            except (TypeError, ValueError):
                bad("Invalid value for /jwtConfiguration: it must be the complete configuration as JSON")
            config = check_configuration(value)
        for op in rest:
            field = op.get("path", "").split("/")[1:2]
            if field and field[0] in NOT_FOR_JWT:
                bad(f"{field[0]} is not supported for JWT authorizers")
            if field == ["identitySource"]:
                if op.get("op") == "remove":
                    bad("identitySource is required for JWT authorizers")
                check_identity_source(op.get("value"))
        result = moto_apply(self, rest)
        if config is not None:
            self.jwt_configuration = config
        return result

    APIGatewayResponse.create_authorizer = create_authorizer
    models.Authorizer.to_json = to_json
    models.Authorizer.apply_operations = apply_operations
