"""ImportApi and ReimportApi for HTTP APIs, from AWS's documented semantics, on top of moto's own model.

moto 5.2.5 answers ImportApi (PUT /v2/apis) with NotImplementedError, and its ReimportApi keeps only routes and
integrations (no authorizer, no scopes, no tags) and drops the API's stages. jwtstack deploys an API it owns in
one of these calls, so the emulator needs them whole. What is implemented, and where AWS says so:

- The body is an OpenAPI 3.0 definition, JSON or YAML (ApiGatewayV2 API Reference, ImportApi/ReimportApi: "The
  OpenAPI definition. Supported only for HTTP APIs"; developer guide, "Working with OpenAPI definitions for HTTP
  APIs": OpenAPI 3.0).
- `info.title` is the API's name, `info.description` its description, `info.version` its version.
- Root `tags` entries carrying `x-amazon-apigateway-tag-value` become the API's tags ("x-amazon-apigateway-tag-value
  property": root-level tag objects name the HTTP API's AWS tags).
- Each operation under `paths` is a route `METHOD /path`; `x-amazon-apigateway-any-method` is `ANY`; an
  `x-amazon-apigateway-any-method` operation with `isDefaultRoute: true` is the `$default` route, written under the
  path `/$default` ("x-amazon-apigateway-any-method object": "isDefaultRoute: Specifies whether a route is the
  $default route. Supported only for HTTP APIs", and its example `"/$default": {"x-amazon-apigateway-any-method":
  {"isDefaultRoute": true, ...}}`).
- A path that does not start with `/` (such as a bare `$default`) is a warning, "Parse issue: attribute paths.
  Resource $default should start with /" (API Gateway's words, quoted in aws/serverless-application-model#2297 and
  aws/aws-sam-cli#3581; SAM's fix #2726 writes `/$default` with `isDefaultRoute`): under FailOnWarnings the
  import is refused.
- An operation's `x-amazon-apigateway-integration` (inline, or a `$ref` into
  `components.x-amazon-apigateway-integrations`, "x-amazon-apigateway-integrations object": integrations defined
  once and reused by several routes) is its integration; one referenced integration is one integration in the API.
  `type` is stored in capitals (AWS_PROXY, HTTP_PROXY), as the API answers it.
- `components.securitySchemes` entries with `x-amazon-apigateway-authorizer` of `type: jwt` are JWT authorizers
  named by their key, with `jwtConfiguration` (issuer, audience) and `identitySource` (a comma-separated list)
  ("x-amazon-apigateway-authorizer object"). An operation's `security` requirement naming such a scheme makes the
  route `authorizationType: JWT` with that authorizer and the listed scopes as `authorizationScopes`.
- `x-amazon-apigateway-endpoint-configuration.disableExecuteApiEndpoint` on a `servers` entry turns the API's
  execute-api endpoint off or on ("x-amazon-apigateway-endpoint-configuration object": "For OpenAPI 3.0, it should
  be present under the vendor extensions of the Server object"); where the definition does not say, the API keeps
  its setting (AWS does not document a reimport's default: jwtstack always says it). An
  integration's `timeoutInMillis` is its timeout, 50 to 30,000 ms for HTTP APIs, 30,000 when absent
  ("x-amazon-apigateway-integration object"; ApiGatewayV2 API Reference, Integration: TimeoutInMillis).
- Errors (BadRequestException, nothing changes: "Errors and warnings from importing your API into API Gateway"):
  a body that is not an OpenAPI 3 document, an import without `info.title`, a security requirement or integration
  `$ref` naming something the definition does not define, a JWT authorizer without issuer or audience, an
  integration without `type`, or of a type HTTP APIs do not have, an operation key that is not an HTTP method.
- Warnings (same page: minor issues; with FailOnWarnings the whole import is refused and nothing changes, without
  it they come back in the answer's `warnings`): an operation with no integration (the route would have no target),
  a response schema `$ref` to a model the definition does not define (the page's own example), and the REST-only
  extensions HTTP APIs ignore ("Working with OpenAPI definitions for HTTP APIs" lists what HTTP APIs support).
- API Gateway reads every JWT authorizer's issuer while importing (`moto_issuer`): one it cannot read is a
  warning, "Unable to create Authorizer ...: Caught exception when connecting to ...".
- ReimportApi overwrites: the API keeps its id, endpoint and stages ("Import an OpenAPI file to update an existing
  API definition": imports do not change stages), and its authorizers, integrations, routes and models become
  exactly the definition's. (moto has no deployments: an automatic-deploy stage's redeployment is not modelled.)
"""

import json
import os
import sys

import yaml

from moto.apigatewayv2.exceptions import BadRequestException

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import moto_issuer  # noqa: E402

METHODS = {"get", "put", "post", "delete", "options", "head", "patch"}
ANY_METHOD = "x-amazon-apigateway-any-method"
INTEGRATION = "x-amazon-apigateway-integration"
INTEGRATIONS = "x-amazon-apigateway-integrations"
AUTHORIZER = "x-amazon-apigateway-authorizer"
# Integration types an HTTP API has (ApiGatewayV2 API Reference, Integration: integrationType).
HTTP_API_TYPES = {"AWS", "AWS_PROXY", "HTTP", "HTTP_PROXY", "MOCK"}
# Extensions of REST APIs that HTTP APIs do not support and ignore with a warning.
REST_ONLY = {
    "x-amazon-apigateway-request-validators",
    "x-amazon-apigateway-gateway-responses",
    "x-amazon-apigateway-binary-media-types",
    "x-amazon-apigateway-minimum-compression-size",
    "x-amazon-apigateway-api-key-source",
    "x-amazon-apigateway-documentation",
    "x-amazon-apigateway-policy",
}


def parse(body_str):
    """The definition as a dict, or BadRequestException."""
    try:
        body = json.loads(body_str)
    except ValueError:
        try:
            body = yaml.safe_load(body_str)
        except yaml.YAMLError as e:
            raise BadRequestException(f"Unable to parse the OpenAPI definition: {e}")
    if not isinstance(body, dict) or not str(body.get("openapi", "")).startswith("3."):
        raise BadRequestException("Invalid OpenAPI input: the definition must be an OpenAPI 3.0 document")
    return body


class Definition:
    """What an OpenAPI definition makes of an HTTP API, checked completely before anything changes."""

    def __init__(self, body, require_title):
        self.body = body
        self.warnings = []
        # Authorizers whose issuer API Gateway could not read (read_issuers).
        self.unreadable = set()
        info = body.get("info") or {}
        if require_title and not info.get("title"):
            raise BadRequestException("Invalid OpenAPI input: info.title is required to name the API")
        self.title = info.get("title")
        self.description = info.get("description")
        self.version = str(info["version"]) if "version" in info else None
        self.tags = {t["name"]: str(t["x-amazon-apigateway-tag-value"]) for t in body.get("tags") or []
                     if isinstance(t, dict) and "name" in t and "x-amazon-apigateway-tag-value" in t}
        components = body.get("components") or {}
        self.models = set((components.get("schemas") or {}).keys())
        self.authorizers = {}
        for name, scheme in (components.get("securitySchemes") or {}).items():
            auth = (scheme or {}).get(AUTHORIZER)
            if auth is None:
                continue
            if str(auth.get("type", "")).lower() != "jwt":
                self.warnings.append(f"Authorizer {name}: only JWT authorizers are emulated; ignored")
                continue
            jwt = auth.get("jwtConfiguration") or {}
            if not jwt.get("issuer") or not jwt.get("audience"):
                raise BadRequestException(f"Invalid JWT authorizer {name}: jwtConfiguration needs issuer and audience")
            sources = [s.strip() for s in str(auth.get("identitySource", "$request.header.Authorization")).split(",")]
            self.authorizers[name] = {"issuer": jwt["issuer"], "audience": list(jwt["audience"]),
                                      "identity_source": [s for s in sources if s]}
        self.disable_execute_api_endpoint = None
        for server in body.get("servers") or []:
            endpoint = server.get("x-amazon-apigateway-endpoint-configuration") if isinstance(server, dict) else None
            if isinstance(endpoint, dict) and "disableExecuteApiEndpoint" in endpoint:
                self.disable_execute_api_endpoint = endpoint["disableExecuteApiEndpoint"] is True
        self.shared = {}
        for name, spec in (components.get(INTEGRATIONS) or {}).items():
            self.shared[name] = self._integration(spec, f"components.{INTEGRATIONS}.{name}")
        for key in REST_ONLY & set(body.keys()):
            self.warnings.append(f"Unsupported extension {key}: HTTP APIs ignore it")
        self.routes = []
        for path, item in (body.get("paths") or {}).items():
            if not str(path).startswith("/"):
                self.warnings.append(f"Parse issue: attribute paths. Resource {path} should start with /")
                continue
            for method, op in (item or {}).items():
                if method == "parameters":
                    continue
                if method == ANY_METHOD:
                    verb = "ANY"
                elif method in METHODS:
                    verb = method.upper()
                else:
                    raise BadRequestException(f"Invalid OpenAPI input: paths.'{path}'.{method} is not an HTTP method")
                default = method == ANY_METHOD and (op or {}).get("isDefaultRoute") is True
                route_key = "$default" if default else f"{verb} {path}"
                self.routes.append(self._route(route_key, path, method, op or {}))

    def _integration(self, spec, where):
        if not isinstance(spec, dict) or not spec.get("type"):
            raise BadRequestException(f"Invalid integration at {where}: type is required")
        kind = str(spec["type"]).upper()
        if kind not in HTTP_API_TYPES:
            raise BadRequestException(f"Invalid integration at {where}: type {spec['type']} is not an HTTP API type")
        timeout = spec.get("timeoutInMillis", 30000)
        if not isinstance(timeout, int) or isinstance(timeout, bool) or not 50 <= timeout <= 30000:
            raise BadRequestException(f"Invalid integration at {where}: timeoutInMillis must be between 50 and 30000")
        return {"type": kind, "uri": spec.get("uri"), "method": spec.get("httpMethod"),
                "payload_format_version": str(spec.get("payloadFormatVersion", "1.0" if kind != "AWS_PROXY" else "2.0")),
                "connection_type": spec.get("connectionType", "INTERNET"), "timeout": timeout}

    def _route(self, route_key, path, method, op):
        integration = op.get(INTEGRATION)
        if isinstance(integration, dict) and "$ref" in integration:
            ref = integration["$ref"]
            name = ref.rsplit("/", 1)[-1]
            if not ref.startswith(f"#/components/{INTEGRATIONS}/") or name not in self.shared:
                raise BadRequestException(f"Invalid OpenAPI input: route {route_key} references {ref}, which is not defined")
            target = ("shared", name)
        elif integration is not None:
            target = ("inline", self._integration(integration, f"paths.'{path}'({method})"))
        else:
            self.warnings.append(f"Route {route_key} has no integration")
            target = None
        for status, response in (op.get("responses") or {}).items():
            for content in ((response or {}).get("content") or {}).values():
                ref = ((content or {}).get("schema") or {}).get("$ref")
                if ref and ref.rsplit("/", 1)[-1] not in self.models:
                    self.warnings.append(f"Parse issue: attribute paths.'{path}'({method}).responses.{status}"
                                         f".content.schema.{ref} is missing")
        authorizer, scopes = None, []
        for requirement in op.get("security") or []:
            for name, wanted in (requirement or {}).items():
                if name not in self.authorizers:
                    raise BadRequestException(f"Invalid OpenAPI input: route {route_key} uses security scheme {name}, "
                                              "which is not defined")
                authorizer, scopes = name, list(wanted or [])
        return {"key": route_key, "target": target, "authorizer": authorizer, "scopes": scopes}


def apply(api, definition):
    """Replaces the API's definition (overwrite mode); stages stay."""
    backend = api.backend
    api.authorizers.clear()
    api.integrations.clear()
    api.models.clear()
    api.routes.clear()
    if definition.title:
        api.name = definition.title
    api.description = definition.description
    if definition.version is not None:
        api.version = definition.version
    api.cors_configuration = definition.body.get("x-amazon-apigateway-cors")
    if definition.disable_execute_api_endpoint is not None:
        api.disable_execute_api_endpoint = definition.disable_execute_api_endpoint
    backend.tag_resource(api.arn, definition.tags)
    authorizer_ids = {}
    for name, a in definition.authorizers.items():
        if name in definition.unreadable:
            continue
        created = api.create_authorizer(
            auth_creds_arn=None, auth_payload_format_version=None, auth_result_ttl=None, authorizer_type="JWT",
            authorizer_uri=None, enable_simple_response=None, identity_source=a["identity_source"],
            identity_validation_expr=None, jwt_config={"issuer": a["issuer"], "audience": a["audience"]}, name=name)
        authorizer_ids[name] = created.id

    def create(spec):
        return api.create_integration(
            connection_type=spec["connection_type"], description=None, integration_method=spec["method"],
            integration_type=spec["type"], integration_uri=spec["uri"],
            payload_format_version=spec["payload_format_version"], timeout_in_millis=spec["timeout"]).id

    shared_ids = {}
    for route in definition.routes:
        target = None
        if route["target"] and route["target"][0] == "shared":
            name = route["target"][1]
            if name not in shared_ids:
                shared_ids[name] = create(definition.shared[name])
            target = f"integrations/{shared_ids[name]}"
        elif route["target"]:
            target = f"integrations/{create(route['target'][1])}"
        authorizer = route["authorizer"]
        if authorizer in definition.unreadable:
            # Without FailOnWarnings, an authorizer API Gateway could not make takes its routes with it.
            continue
        api.create_route(
            api_key_required=False, authorization_scopes=route["scopes"], route_key=route["key"], target=target,
            authorization_type="JWT" if authorizer else "NONE",
            authorizer_id=authorizer_ids.get(authorizer) if authorizer else None)


def answer(api, definition, fail_on_warnings):
    doc = api.to_json()
    if definition.warnings and not fail_on_warnings:
        doc["warnings"] = definition.warnings
    return doc


def read_issuers(backend, definition):
    """API Gateway reads each JWT authorizer's issuer while importing; one it cannot read is a warning (see
    moto_issuer for where each kind of issuer is read and the sources)."""
    for name, auth in definition.authorizers.items():
        why = moto_issuer.unreadable(backend.account_id, auth["issuer"])
        if why:
            definition.unreadable.add(name)
            definition.warnings.append(moto_issuer.warning(name, auth["issuer"], why))


def check_warnings(definition, fail_on_warnings):
    if definition.warnings and fail_on_warnings:
        raise BadRequestException("Warnings found during import:\n\t" + "\n\t".join(definition.warnings))


def import_api(backend, body_str, fail_on_warnings):
    """ImportApi: a new HTTP API from the definition."""
    definition = Definition(parse(body_str), require_title=True)
    read_issuers(backend, definition)
    check_warnings(definition, fail_on_warnings)
    api = backend.create_api(
        api_key_selection_expression=None, cors_configuration=None, description=definition.description,
        disable_schema_validation=None, disable_execute_api_endpoint=None, name=definition.title,
        protocol_type="HTTP", route_selection_expression=None, tags=definition.tags, version=definition.version)
    apply(api, definition)
    return answer(api, definition, fail_on_warnings)


def reimport_api(backend, api_id, body_str, fail_on_warnings):
    """ReimportApi: the existing API (NotFoundException if none) takes the definition, all or nothing."""
    api = backend.get_api(api_id)
    definition = Definition(parse(body_str), require_title=False)
    read_issuers(backend, definition)
    check_warnings(definition, fail_on_warnings)
    apply(api, definition)
    return answer(api, definition, fail_on_warnings)


def install(response_class):
    """Serves both calls from moto's ApiGatewayV2Response."""

    def flag(self):
        return str(self._get_param("failOnWarnings", "false")).lower() == "true"

    def import_handler(self):
        body = json.loads(self.body or b"{}").get("body", "")
        return 201, {}, json.dumps(import_api(self.apigatewayv2_backend, body, flag(self)))

    def reimport_handler(self):
        api_id = self.path.split("?")[0].split("/")[-1]
        body = json.loads(self.body or b"{}").get("body", "")
        return 201, {}, json.dumps(reimport_api(self.apigatewayv2_backend, api_id, body, flag(self)))

    response_class.import_api = import_handler
    response_class.reimport_api = reimport_handler
