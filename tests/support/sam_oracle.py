"""An oracle for jwtstack's OpenAPI definition that is not our own reading of AWS: AWS's SAM translator.

`sam_definition(routes, issuer, audience, cors)` writes the `AWS::Serverless::HttpApi` (with a JWT authorizer as
its default authorizer) and one `AWS::Serverless::Function` per Lambda ARN with one `HttpApi` event per route,
translates that template offline with samtranslator (aws-sam-translator 1.115.0 when this was written; no AWS
call: a boto3 Session that only names the region, an empty managed-policy map), and returns the OpenAPI `Body` of
the generated `AWS::ApiGatewayV2::Api`, its intrinsics (`${AWS::Partition}`, `${AWS::Region}`, `${FnN.Arn}`,
`Ref AWS::StackName`) resolved to plain strings.

`compare(ours, sam)` lists the differences between two definitions that matter to API Gateway.

Routes are given as in the stack file: `{"route": "GET /items/{id}" | "$default", "scopes": [...],
"auth": "none" (optional), "integration": {"lambda": ARN} | {"http": URL}}`, plus an optional
`"payload_format_version"` (default "2.0", as jwtstack writes Lambda integrations). CORS is the stack file's
`cors` mapping (`allow_origins`, `allow_methods`, `allow_headers`, `expose_headers`, `max_age`,
`allow_credentials`).

What SAM cannot express: an `HttpApi` event belongs to an `AWS::Serverless::Function`, so SAM only ever writes
`aws_proxy` integrations to Lambda. An HTTP_PROXY route (`integration: {http: URL}`) has no SAM equivalent
(it could only be hand-written into `DefinitionBody`, which would no longer be SAM's word): `sam_definition`
leaves such routes out, and `compare` leaves every `http_proxy` operation out, on both sides. Only the Lambda
routes are compared.

How SAM 1.115.0 writes what jwtstack needs (see test_sam_oracle.py for the whole generated body):
- the default route: path `/$default`, method key `x-amazon-apigateway-any-method`, `isDefaultRoute: true`, but
  only with `FailOnWarnings: true` on the HttpApi (which `sam_definition` sets, as jwtstack imports with
  FailOnWarnings); without it SAM writes the bare path `$default`, which API Gateway warns about ("Resource
  $default should start with /") and so refuses under FailOnWarnings (aws/serverless-application-model#2297);
- `ANY`: the method key `x-amazon-apigateway-any-method`;
- a route under the default authorizer: `security: [{NAME: []}]`, with its scopes: `[{NAME: ["items.read"]}]`;
- `Auth: {Authorizer: NONE}`: `security: [{"NONE": []}]` (compare reads it, an absent `security` and
  `security: []` alike as authorization type NONE);
- the authorizer: `components.securitySchemes.NAME = {"type": "oauth2", "x-amazon-apigateway-authorizer":
  {"type": "jwt", "identitySource": ..., "jwtConfiguration": {"issuer": ..., "audience": [...]}}}`;
- the integration, inline in each operation: `{"type": "aws_proxy", "httpMethod": "POST",
  "payloadFormatVersion": "2.0", "uri": "arn:PARTITION:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations"}`;
- CORS: the root `x-amazon-apigateway-cors`, `allowCredentials` only when true.
"""

import copy
import re

ANY = "x-amazon-apigateway-any-method"
_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
_PATH_ITEM_FIELDS = {"parameters", "summary", "description", "servers", "$ref"}
_DEFAULT_PATHS = ("$default", "/$default")
_ROLE = "arn:aws:iam::123456789012:role/sam-oracle"  # a given Role: SAM generates no IAM role, needs no policy map
_STACK_NAME = "sam-oracle"
_ACCOUNT = "123456789012"


# ---------------------------------------------------------------------------------------------------------------
# SAM side


def is_lambda_route(route):
    """Whether SAM can express the route: a Lambda (aws_proxy) integration."""
    return bool((route.get("integration") or {}).get("lambda"))


def sam_template(routes, issuer, audience, cors=None, *, authorizer="jwt", fail_on_warnings=True):
    """The SAM template of an HttpApi equivalent to the stack's routes (its Lambda routes only)."""
    lambda_routes = [r for r in routes if is_lambda_route(r)]
    if not lambda_routes:
        raise ValueError("SAM can only express Lambda routes, and there are none")
    api = {
        "FailOnWarnings": fail_on_warnings,
        "Auth": {
            "DefaultAuthorizer": authorizer,
            "Authorizers": {
                authorizer: {
                    "IdentitySource": "$request.header.Authorization",
                    "JwtConfiguration": {"issuer": issuer, "audience": list(audience)},
                }
            },
        },
    }
    if cors:
        api["CorsConfiguration"] = _sam_cors(cors)
    resources = {"Api": {"Type": "AWS::Serverless::HttpApi", "Properties": api}}
    functions = {}  # ARN -> logical id
    for i, route in enumerate(lambda_routes, 1):
        arn = route["integration"]["lambda"]
        if arn not in functions:
            functions[arn] = f"Fn{len(functions) + 1}"
            resources[functions[arn]] = {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "InlineCode": "def handler(event, context):\n    return {}\n",
                    "Role": _ROLE,
                    "Events": {},
                },
            }
        event = {"ApiId": {"Ref": "Api"}, "PayloadFormatVersion": route.get("payload_format_version", "2.0")}
        key = route["route"].strip()
        if key != "$default":  # the default route is an HttpApi event with neither Path nor Method
            method, path = key.split(None, 1)
            event["Method"] = method.upper()
            event["Path"] = path
        if route.get("auth") == "none":
            event["Auth"] = {"Authorizer": "NONE"}
        elif route.get("scopes"):
            event["Auth"] = {"Authorizer": authorizer, "AuthorizationScopes": list(route["scopes"])}
        resources[functions[arn]]["Properties"]["Events"][f"Route{i}"] = {"Type": "HttpApi", "Properties": event}
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": resources,
    }
    return template, {logical: arn for arn, logical in functions.items()}


def _sam_cors(c):
    out = {}
    for ours, theirs in [
        ("allow_origins", "AllowOrigins"),
        ("allow_methods", "AllowMethods"),
        ("allow_headers", "AllowHeaders"),
        ("expose_headers", "ExposeHeaders"),
    ]:
        if c.get(ours):
            out[theirs] = list(c[ours])
    if c.get("max_age") is not None:
        out["MaxAge"] = c["max_age"]
    if c.get("allow_credentials") is not None:
        out["AllowCredentials"] = c["allow_credentials"]
    return out


def translate(template, region="us-east-1"):
    """The CloudFormation template SAM makes of `template`, offline."""
    import boto3
    from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    metrics = Metrics("ServerlessTransform", DummyMetricsPublisher())  # published nowhere
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region), metrics=metrics)
    try:
        return translator.translate(
            copy.deepcopy(template),
            parameter_values={"AWS::AccountId": _ACCOUNT},
            get_managed_policy_map=lambda: {},
        )
    except InvalidDocumentException as e:
        raise ValueError("SAM refused the template: " + "; ".join(c.message for c in e.causes)) from e
    finally:
        metrics.publish()


def sam_definition(routes, issuer, audience, cors=None, *, authorizer="jwt", region="us-east-1", fail_on_warnings=True):
    """The OpenAPI body SAM generates for an HttpApi equivalent to the routes (HTTP_PROXY routes left out).

    `authorizer` names the JWT authorizer (jwtstack's is `{stack}-jwt`); `fail_on_warnings=False` shows SAM's form
    for an HttpApi without FailOnWarnings (the default route as the bare path `$default`).
    """
    from samtranslator.translator.arn_generator import ArnGenerator

    template, arns = sam_template(routes, issuer, audience, cors, authorizer=authorizer, fail_on_warnings=fail_on_warnings)
    cfn = translate(template, region)
    apis = [r for r in cfn["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Api"]
    if len(apis) != 1:
        raise ValueError(f"SAM generated {len(apis)} AWS::ApiGatewayV2::Api resources, not one")
    props = apis[0]["Properties"]
    body = props.get("Body", props.get("DefinitionBody"))
    variables = {"AWS::Partition": ArnGenerator.get_partition_name(region), "AWS::Region": region,
                 "AWS::AccountId": _ACCOUNT, "AWS::StackName": _STACK_NAME}
    variables.update({f"{logical}.Arn": arn for logical, arn in arns.items()})
    return _resolve(body, variables)


def _resolve(value, variables):
    """`Fn::Sub` of a string and `Ref` of a known name replaced by their values; anything else kept."""
    if isinstance(value, list):
        return [_resolve(v, variables) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        text = value["Fn::Sub"]
        names = re.findall(r"\$\{([^}!]+)\}", text)
        if all(n in variables for n in names):
            return re.sub(r"\$\{([^}!]+)\}", lambda m: variables[m.group(1)], text)
    if set(value) == {"Ref"} and value["Ref"] in variables:
        return variables[value["Ref"]]
    return {k: _resolve(v, variables) for k, v in value.items()}


# ---------------------------------------------------------------------------------------------------------------
# Comparison


def compare(ours, sam):
    """The differences between two HTTP API OpenAPI definitions that matter to API Gateway (empty: none).

    Compared:
    - the set of operations, (path, method key) — keys as written, so `ANY` must be `x-amazon-apigateway-any-method`;
    - how the default route is written: its path (`/$default` or `$default`), method key and `isDefaultRoute`;
    - each operation's security requirement: the authorizer names and their scopes (as a set), or none; an
      absent `security`, `security: []` and SAM's `security: [{"NONE": []}]` all mean authorization type NONE;
      an operation without `security` takes the root `security`; a name that no security scheme defines is
      reported;
    - each authorizer (security scheme with `x-amazon-apigateway-authorizer`): its name, the scheme's `type`, the
      authorizer's `type` (case-insensitive), `identitySource`, `jwtConfiguration` (issuer; audience as a set)
      and any other field it has;
    - each operation's integration, inline or by `$ref` into `components.x-amazon-apigateway-integrations`:
      `type` (case-insensitive), `httpMethod`, `payloadFormatVersion`, `uri`, `connectionType` (default
      INTERNET), `timeoutInMillis` (default 30000);
    - CORS (`x-amazon-apigateway-cors`): origins, methods (case-insensitive), headers and exposed headers
      (case-insensitive), all as sets; `maxAge`; `allowCredentials` (absent: false).

    Ignored, as cosmetic to API Gateway or as not SAM's to say: operationId, summary and description,
    `info` (title, version, description), `tags` (jwtstack's stack tag, SAM's `httpapi:createdBy`), `responses`,
    `parameters` (API Gateway takes path parameters from the path), `flows`, key and list order, whether an
    integration is inline or shared through `$ref`. Operations whose integration is `http_proxy` are left out on
    both sides: SAM cannot express them.
    """
    a, b = _view(ours, "ours"), _view(sam, "sam")
    diffs = a["problems"] + b["problems"]

    if a["default"] != b["default"]:
        diffs.append(f"default route: ours writes {_describe_default(a['default'])}, "
                     f"sam writes {_describe_default(b['default'])}")

    ops_a, ops_b = a["operations"], b["operations"]
    for key in sorted(set(ops_a) - set(ops_b)):
        diffs.append(f"operations: {_op(key)} only in ours")
    for key in sorted(set(ops_b) - set(ops_a)):
        diffs.append(f"operations: {_op(key)} only in sam")
    for key in sorted(set(ops_a) & set(ops_b)):
        x, y = ops_a[key], ops_b[key]
        if x["security"] != y["security"]:
            diffs.append(f"security: {_op(key)}: ours {_security(x['security'])}, sam {_security(y['security'])}")
        for field in sorted(set(x["integration"]) | set(y["integration"])):
            if x["integration"].get(field) != y["integration"].get(field):
                diffs.append(f"integration: {_op(key)} {field}: ours {x['integration'].get(field)!r}, "
                             f"sam {y['integration'].get(field)!r}")

    auth_a, auth_b = a["authorizers"], b["authorizers"]
    for name in sorted(set(auth_a) - set(auth_b)):
        diffs.append(f"authorizer: {name} only in ours")
    for name in sorted(set(auth_b) - set(auth_a)):
        diffs.append(f"authorizer: {name} only in sam")
    for name in sorted(set(auth_a) & set(auth_b)):
        x, y = auth_a[name], auth_b[name]
        for field in sorted(set(x) | set(y)):
            if x.get(field) != y.get(field):
                diffs.append(f"authorizer: {name} {field}: ours {x.get(field)!r}, sam {y.get(field)!r}")

    if a["cors"] != b["cors"]:
        if a["cors"] is None or b["cors"] is None:
            diffs.append(f"cors: ours {a['cors']!r}, sam {b['cors']!r}")
        else:
            for field in sorted(a["cors"]):
                if a["cors"][field] != b["cors"][field]:
                    diffs.append(f"cors: {field}: ours {a['cors'][field]!r}, sam {b['cors'][field]!r}")
    return diffs


def _op(key):
    return f"{key[0]} {key[1]}"


def _security(s):
    if s == "none":
        return "none (authorization type NONE)"
    return " or ".join(f"{name}{list(scopes)}" for name, scopes in s)


def _describe_default(d):
    if not d:
        return "no default route"
    return "; ".join(f"path {p!r}, method key {m!r}, isDefaultRoute {flag!r}" for p, m, flag in d)


def _view(doc, side):
    """What API Gateway reads of a definition, normalized."""
    problems = []
    schemes = (doc.get("components") or {}).get("securitySchemes") or {}
    authorizers = {}
    for name, scheme in schemes.items():
        auth = scheme.get("x-amazon-apigateway-authorizer")
        if auth is None:
            continue
        view = {"schemeType": scheme.get("type")}
        for field, value in auth.items():
            if field == "type":
                value = str(value).lower()
            elif field == "identitySource":
                items = value if isinstance(value, list) else str(value).split(",")
                value = sorted(i.strip() for i in items)
            elif field == "jwtConfiguration":
                value = {"issuer": value.get("issuer"), "audience": sorted(value.get("audience") or []),
                         **{k: v for k, v in value.items() if k not in ("issuer", "audience")}}
            view[field] = value
        authorizers[name] = view

    root_security = doc.get("security")
    operations, default = {}, []
    for path, item in (doc.get("paths") or {}).items():
        for key, op in (item or {}).items():
            if key.lower() not in _METHODS and key != ANY:
                if key not in _PATH_ITEM_FIELDS and not key.startswith("x-"):
                    problems.append(f"operations: {side}: {path} has the key {key!r}, which is no OpenAPI method "
                                    f"(ANY is {ANY})")
                continue
            integration = _integration(doc, op, side, path, key, problems)
            if integration.get("type") == "http_proxy":
                continue  # SAM cannot express HTTP_PROXY integrations: not compared
            is_default = op.get("isDefaultRoute") is True
            if path in _DEFAULT_PATHS or is_default:
                default.append((path, key, op.get("isDefaultRoute")))
            security = _normal_security(op["security"] if "security" in op else root_security)
            if security != "none":
                for name, _ in security:
                    if name not in authorizers:
                        problems.append(f"security: {side}: {path} {key} names {name!r}, which no security scheme "
                                        "with x-amazon-apigateway-authorizer defines")
            operations[(path, key)] = {"security": security, "integration": integration}
    return {"operations": operations, "default": sorted(default, key=repr), "authorizers": authorizers,
            "cors": _normal_cors(doc.get("x-amazon-apigateway-cors")), "problems": problems}


def _integration(doc, op, side, path, key, problems):
    integration = op.get("x-amazon-apigateway-integration")
    if isinstance(integration, dict) and "$ref" in integration:
        ref = integration["$ref"]
        target = doc
        if not ref.startswith("#/"):
            problems.append(f"integration: {side}: {path} {key}: $ref {ref!r} is not local")
            return {}
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            problems.append(f"integration: {side}: {path} {key}: $ref {ref!r} resolves to nothing")
            return {}
        integration = target
    if not isinstance(integration, dict):
        problems.append(f"integration: {side}: {path} {key} has no x-amazon-apigateway-integration")
        return {}
    out = {
        "type": str(integration.get("type", "")).lower(),
        "httpMethod": integration.get("httpMethod"),
        "payloadFormatVersion": integration.get("payloadFormatVersion"),
        "uri": integration.get("uri"),
        "connectionType": integration.get("connectionType", "INTERNET"),
        "timeoutInMillis": integration.get("timeoutInMillis", 30000),
    }
    if isinstance(out["httpMethod"], str):
        out["httpMethod"] = out["httpMethod"].upper()
    return out


def _normal_security(security):
    if not security:
        return "none"
    requirements = []
    for requirement in security:
        req = tuple(sorted((name, tuple(sorted(scopes or []))) for name, scopes in requirement.items() if name != "NONE"))
        if req:
            requirements.extend(req)
    return tuple(sorted(set(requirements))) or "none"


def _normal_cors(c):
    if c is None:
        return None
    return {
        "allowOrigins": sorted(c.get("allowOrigins") or []),
        "allowMethods": sorted(m.upper() for m in c.get("allowMethods") or []),
        "allowHeaders": sorted(h.lower() for h in c.get("allowHeaders") or []),
        "exposeHeaders": sorted(h.lower() for h in c.get("exposeHeaders") or []),
        "maxAge": c.get("maxAge"),
        "allowCredentials": bool(c.get("allowCredentials", False)),
    }


def main(argv):
    """`python sam_oracle.py DEFINITION.json CASE.json`: DEFINITION is the definition to judge (jwtstack's
    `export-openapi`), CASE `{"routes": [...], "issuer": ..., "audience": [...], "cors": {...}, "authorizer": ...}`
    as `sam_definition` takes them. Prints the differences, one per line; exits 1 when there are any."""
    import json
    import sys

    if len(argv) != 3:
        print(main.__doc__, file=sys.stderr)
        return 64
    with open(argv[1]) as f:
        ours = json.load(f)
    with open(argv[2]) as f:
        case = json.load(f)
    sam = sam_definition(case["routes"], case["issuer"], case["audience"], case.get("cors"),
                         authorizer=case.get("authorizer", "jwt"), region=case.get("region", "us-east-1"))
    differences = compare(ours, sam)
    for d in differences:
        print(d)
    return 1 if differences else 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv))
