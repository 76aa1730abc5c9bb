"""The SAM oracle (sam_oracle): AWS's own SAM translator generates the OpenAPI body of an equivalent
`AWS::Serverless::HttpApi`, and a jwtstack-style definition in AWS's documented form must not differ from it
in anything API Gateway reads.

Needs aws-sam-translator 1.115.0, which scripts/install-test-tools.sh installs into .venv-test: without it these
tests fail (an oracle that is skipped proves nothing). Run by scripts/test.sh: .venv-test/bin/python -m unittest discover -s tests/support -p 'test_*.py'
"""

import copy
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sam_oracle  # noqa: E402
from sam_oracle import ANY, compare, sam_definition  # noqa: E402

import samtranslator  # noqa: E402,F401  (installed by scripts/install-test-tools.sh)

REGION = "us-east-1"
FN = "arn:aws:lambda:us-east-1:123456789012:function:pantry"
LOGIN = "arn:aws:lambda:us-east-1:123456789012:function:login"
INVOKE = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{FN}/invocations"
INVOKE_LOGIN = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{LOGIN}/invocations"
ISSUER = "https://pantry-issuer.s3.us-east-1.amazonaws.com"
AUDIENCE = ["pantry-api"]
AUTHORIZER = "pantry-jwt"

# The stack's routes, as in the stack file.
ROUTES = [
    {"route": "$default", "integration": {"lambda": FN}},
    {"route": "ANY /{proxy+}", "integration": {"lambda": FN}},
    {"route": "GET /items/{id}", "scopes": ["items.read", "items.admin"], "integration": {"lambda": FN}},
    {"route": "POST /login", "auth": "none", "integration": {"lambda": LOGIN}},
]
CORS = {
    "allow_origins": ["https://app.example"],
    "allow_methods": ["GET", "POST"],
    "allow_headers": ["authorization", "content-type"],
    "max_age": 600,
    "allow_credentials": False,
}


def documented():
    """A jwtstack-style definition of ROUTES in the form AWS documents ("Working with OpenAPI definitions for HTTP
    APIs" and the x-amazon-apigateway-* extension pages): the default route as the path `/$default` with
    `x-amazon-apigateway-any-method` and `isDefaultRoute: true`; `ANY` as `x-amazon-apigateway-any-method`; a
    route behind the authorizer with `security: [{AUTHORIZER: [scopes]}]`; a public route without `security`;
    the JWT authorizer as an oauth2 security scheme with `x-amazon-apigateway-authorizer`; integrations shared
    through `components.x-amazon-apigateway-integrations`; CORS as the root `x-amazon-apigateway-cors`."""

    def op(route_key, integration, scopes=None, params=()):
        o = {
            "operationId": route_key,
            "responses": {"default": {"description": "Default response"}},
            "x-amazon-apigateway-integration": {"$ref": f"#/components/x-amazon-apigateway-integrations/{integration}"},
        }
        if scopes is not None:
            o["security"] = [{AUTHORIZER: scopes}]
        if params:
            o["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params]
        return o

    default = op("$default", "integration-1", [])
    default["isDefaultRoute"] = True
    lambda_integration = {"type": "aws_proxy", "httpMethod": "POST", "payloadFormatVersion": "2.0", "connectionType": "INTERNET"}
    return {
        "openapi": "3.0.1",
        "info": {"title": "pantry-api", "description": "managed by jwtstack; stack pantry", "version": "1.0"},
        "tags": [{"name": "jwtstack:stack", "x-amazon-apigateway-tag-value": "pantry"}],
        "paths": {
            "/$default": {ANY: default},
            "/items/{id}": {"get": op("GET /items/{id}", "integration-1", ["items.read", "items.admin"], ["id"])},
            "/login": {"post": op("POST /login", "integration-2")},
            "/{proxy+}": {ANY: op("ANY /{proxy+}", "integration-1", [], ["proxy+"])},
        },
        "components": {
            "securitySchemes": {
                AUTHORIZER: {
                    "type": "oauth2",
                    "flows": {},
                    "x-amazon-apigateway-authorizer": {
                        "type": "jwt",
                        "identitySource": "$request.header.Authorization",
                        "jwtConfiguration": {"issuer": ISSUER, "audience": AUDIENCE},
                    },
                }
            },
            "x-amazon-apigateway-integrations": {
                "integration-1": {**lambda_integration, "uri": INVOKE},
                "integration-2": {**lambda_integration, "uri": INVOKE_LOGIN},
            },
        },
        "x-amazon-apigateway-cors": {
            "allowOrigins": ["https://app.example"],
            "allowCredentials": False,
            "allowMethods": ["GET", "POST"],
            "allowHeaders": ["authorization", "content-type"],
            "maxAge": 600,
        },
    }


def bare_default(doc):
    """`doc` with its default route written as the path key `$default` (no slash)."""
    doc = copy.deepcopy(doc)
    doc["paths"]["$default"] = doc["paths"].pop("/$default")
    return doc


class SamOracleTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.sam = sam_definition(ROUTES, ISSUER, AUDIENCE, CORS, authorizer=AUTHORIZER, region=REGION)

    def test_documented_form_agrees_with_sam(self):
        self.assertEqual(compare(documented(), self.sam), [])

    def test_how_sam_writes_the_routes(self):
        paths = self.sam["paths"]
        self.assertEqual(sorted(paths), ["/$default", "/items/{id}", "/login", "/{proxy+}"])
        default = paths["/$default"][ANY]
        self.assertIs(default["isDefaultRoute"], True)
        self.assertEqual(default["security"], [{AUTHORIZER: []}])
        self.assertEqual(paths["/{proxy+}"][ANY]["security"], [{AUTHORIZER: []}])
        self.assertEqual(paths["/items/{id}"]["get"]["security"], [{AUTHORIZER: ["items.read", "items.admin"]}])
        self.assertEqual(paths["/login"]["post"]["security"], [{"NONE": []}])
        self.assertEqual(paths["/login"]["post"]["x-amazon-apigateway-integration"],
                         {"type": "aws_proxy", "httpMethod": "POST", "payloadFormatVersion": "2.0", "uri": INVOKE_LOGIN})
        self.assertEqual(self.sam["components"]["securitySchemes"][AUTHORIZER], {
            "type": "oauth2",
            "x-amazon-apigateway-authorizer": {
                "type": "jwt",
                "identitySource": "$request.header.Authorization",
                "jwtConfiguration": {"issuer": ISSUER, "audience": AUDIENCE},
            },
        })
        self.assertEqual(self.sam["x-amazon-apigateway-cors"], {
            "allowOrigins": ["https://app.example"], "allowHeaders": ["authorization", "content-type"],
            "allowMethods": ["GET", "POST"], "maxAge": 600,
        })

    def test_default_route_as_bare_path_is_reported(self):
        diffs = compare(bare_default(documented()), self.sam)
        self.assertIn("default route: ours writes path '$default', method key 'x-amazon-apigateway-any-method', "
                      "isDefaultRoute True, sam writes path '/$default', method key "
                      "'x-amazon-apigateway-any-method', isDefaultRoute True", diffs)
        self.assertIn("operations: $default x-amazon-apigateway-any-method only in ours", diffs)
        self.assertIn("operations: /$default x-amazon-apigateway-any-method only in sam", diffs)

    def test_sam_without_fail_on_warnings_writes_the_bare_path(self):
        # SAM's form for an HttpApi without FailOnWarnings; API Gateway warns about it ("Resource $default should
        # start with /"), so jwtstack, which imports with FailOnWarnings, must not write it.
        sam = sam_definition(ROUTES, ISSUER, AUDIENCE, CORS, authorizer=AUTHORIZER, region=REGION, fail_on_warnings=False)
        self.assertIn("$default", sam["paths"])
        self.assertNotIn("/$default", sam["paths"])
        self.assertEqual(compare(bare_default(documented()), sam), [])
        self.assertTrue(any(d.startswith("default route:") for d in compare(documented(), sam)))

    def test_differences_that_matter_are_reported(self):
        def public_with_security(d):
            d["paths"]["/login"]["post"]["security"] = [{AUTHORIZER: []}]

        def fewer_scopes(d):
            d["paths"]["/items/{id}"]["get"]["security"] = [{AUTHORIZER: ["items.read"]}]

        def no_security_on_default(d):
            del d["paths"]["/$default"][ANY]["security"]

        def any_as_method(d):
            d["paths"]["/{proxy+}"]["any"] = d["paths"]["/{proxy+}"].pop(ANY)

        def payload_1(d):
            d["components"]["x-amazon-apigateway-integrations"]["integration-1"]["payloadFormatVersion"] = "1.0"

        def other_audience(d):
            d["components"]["securitySchemes"][AUTHORIZER]["x-amazon-apigateway-authorizer"]["jwtConfiguration"]["audience"] = ["x"]

        def other_identity_source(d):
            d["components"]["securitySchemes"][AUTHORIZER]["x-amazon-apigateway-authorizer"]["identitySource"] = "$request.header.X-Token"

        def other_origin(d):
            d["x-amazon-apigateway-cors"]["allowOrigins"] = ["*"]

        def no_cors(d):
            del d["x-amazon-apigateway-cors"]

        cases = {
            public_with_security: "security: /login post",
            fewer_scopes: "security: /items/{id} get",
            no_security_on_default: "security: /$default x-amazon-apigateway-any-method",
            any_as_method: "operations: ours: /{proxy+} has the key 'any'",
            payload_1: "integration: /$default x-amazon-apigateway-any-method payloadFormatVersion",
            other_audience: "authorizer: pantry-jwt jwtConfiguration",
            other_identity_source: "authorizer: pantry-jwt identitySource",
            other_origin: "cors: allowOrigins",
            no_cors: "cors: ours None",
        }
        for change, expected in cases.items():
            with self.subTest(change.__name__):
                doc = documented()
                change(doc)
                diffs = compare(doc, self.sam)
                self.assertTrue(any(d.startswith(expected) for d in diffs), diffs)

    def test_cosmetic_differences_are_ignored(self):
        doc = documented()
        for path in doc["paths"].values():
            for op in path.values():
                op["operationId"] = "renamed"
                op["description"] = "words"
                op.pop("parameters", None)
        doc["info"] = {"title": "other", "version": "7"}
        doc["tags"] = []
        doc["paths"] = dict(reversed(list(doc["paths"].items())))
        doc["paths"]["/items/{id}"]["get"]["security"] = [{AUTHORIZER: ["items.admin", "items.read"]}]
        doc["x-amazon-apigateway-cors"]["allowMethods"] = ["post", "get"]
        self.assertEqual(compare(doc, self.sam), [])

    def test_http_routes_are_left_out(self):
        # SAM's HttpApi events are Lambda functions: an HTTP_PROXY route has no SAM equivalent. sam_definition
        # leaves it out and compare leaves http_proxy operations out on both sides.
        routes = ROUTES + [{"route": "GET /status", "auth": "none", "integration": {"http": "https://example.com/status"}}]
        sam = sam_definition(routes, ISSUER, AUDIENCE, CORS, authorizer=AUTHORIZER, region=REGION)
        self.assertNotIn("/status", sam["paths"])
        doc = documented()
        doc["paths"]["/status"] = {"get": {"x-amazon-apigateway-integration": {
            "type": "http_proxy", "httpMethod": "GET", "uri": "https://example.com/status", "payloadFormatVersion": "1.0"}}}
        self.assertEqual(compare(doc, sam), [])

    def test_translation_is_offline(self):
        # No AWS call: the template gives the function a Role (no IAM role, no managed-policy lookup) and the
        # translator a boto3 Session that only names the region.
        template, arns = sam_oracle.sam_template(ROUTES, ISSUER, AUDIENCE, CORS, authorizer=AUTHORIZER)
        self.assertEqual(arns, {"Fn1": FN, "Fn2": LOGIN})
        cfn = sam_oracle.translate(template, REGION)
        self.assertNotIn("AWS::IAM::Role", {r["Type"] for r in cfn["Resources"].values()})


class CompareTest(unittest.TestCase):
    """The comparison alone: needs no samtranslator."""

    def test_identical_definitions_agree(self):
        self.assertEqual(compare(documented(), documented()), [])

    def test_sam_none_authorizer_means_no_security(self):
        doc = documented()
        doc["paths"]["/login"]["post"]["security"] = [{"NONE": []}]
        self.assertEqual(compare(doc, documented()), [])

    def test_inline_and_shared_integrations_agree(self):
        doc = documented()
        shared = doc["components"].pop("x-amazon-apigateway-integrations")
        for path in doc["paths"].values():
            for op in path.values():
                name = op["x-amazon-apigateway-integration"]["$ref"].rsplit("/", 1)[1]
                op["x-amazon-apigateway-integration"] = dict(shared[name])
        self.assertEqual(compare(doc, documented()), [])

    def test_bare_default_path_is_reported(self):
        diffs = compare(bare_default(documented()), documented())
        self.assertTrue(any(d.startswith("default route:") for d in diffs), diffs)

    def test_unknown_authorizer_is_reported(self):
        doc = documented()
        doc["paths"]["/login"]["post"]["security"] = [{"other-jwt": []}]
        self.assertTrue(any("names 'other-jwt'" in d for d in compare(doc, documented())))


if __name__ == "__main__":
    unittest.main()
