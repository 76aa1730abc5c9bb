"""Unit tests of the emulator's ImportApi/ReimportApi (moto_openapi), through boto3 against moto in process.

Run by scripts/test.sh: .venv-test/bin/python -m unittest discover -s tests/support -p 'test_*.py'
"""

import json
import os
import sys
import unittest

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.apigatewayv2.responses import ApiGatewayV2Response

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import moto_openapi  # noqa: E402

moto_openapi.install(ApiGatewayV2Response)

FN = "arn:aws:lambda:us-east-1:123456789012:function:lists"
# An issuer API Gateway can read: a public bucket holding the discovery document (setUp writes it).
BUCKET = "pantry-issuer"
ISSUER = f"https://{BUCKET}.s3.us-east-1.amazonaws.com"
OTHER_BUCKET = "pantry-other-issuer"
OTHER = f"https://{OTHER_BUCKET}.s3.us-east-1.amazonaws.com"
INVOKE = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FN}/invocations"


def definition(routes=None, title="pantry-api", issuer=ISSUER, extra=None):
    routes = routes if routes is not None else {"/lists": {"get": ["lists:read"]}, "/lists/{id}": {"delete": ["lists:write"]}}
    paths = {}
    for path, ops in routes.items():
        paths[path] = {}
        for method, scopes in ops.items():
            op = {"responses": {"default": {"description": "Default response"}},
                  "x-amazon-apigateway-integration": {"$ref": "#/components/x-amazon-apigateway-integrations/i0"}}
            if scopes is not None:
                op["security"] = [{"pantry-jwt": scopes}]
            # The default route as AWS documents it ("x-amazon-apigateway-any-method object").
            if path == "/$default":
                op["isDefaultRoute"] = True
            paths[path][method] = op
    doc = {
        "openapi": "3.0.1",
        "info": {"title": title, "description": "managed by jwtstack", "version": "1"},
        "tags": [{"name": "jwtstack:stack", "x-amazon-apigateway-tag-value": "pantry"}],
        "paths": paths,
        "components": {
            "securitySchemes": {"pantry-jwt": {"type": "oauth2", "flows": {}, "x-amazon-apigateway-authorizer": {
                "type": "jwt", "identitySource": "$request.header.Authorization",
                "jwtConfiguration": {"issuer": issuer, "audience": ["pantry"]}}}},
            "x-amazon-apigateway-integrations": {"i0": {
                "type": "aws_proxy", "httpMethod": "POST", "uri": INVOKE, "payloadFormatVersion": "2.0"}},
        },
    }
    doc.update(extra or {})
    return json.dumps(doc)


@mock_aws
class ImportApiTest(unittest.TestCase):
    def setUp(self):
        self.c = boto3.client("apigatewayv2", region_name="us-east-1")
        self.s3 = boto3.client("s3", region_name="us-east-1")
        for bucket, issuer in [(BUCKET, ISSUER), (OTHER_BUCKET, OTHER)]:
            self.publish(bucket, issuer)

    def publish(self, bucket, issuer, public=True):
        self.s3.create_bucket(Bucket=bucket)
        self.s3.put_object(Bucket=bucket, Key=".well-known/openid-configuration",
                           Body=json.dumps({"issuer": issuer, "jwks_uri": f"{issuer}/.well-known/jwks.json"}))
        if public:
            self.s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/.well-known/*"}]}))

    def routes(self, api_id):
        return sorted(self.c.get_routes(ApiId=api_id)["Items"], key=lambda r: r["RouteKey"])

    def test_import_creates_the_tagged_api_its_authorizer_shared_integration_and_scoped_routes(self):
        api = self.c.import_api(Body=definition(), FailOnWarnings=True)
        self.assertEqual(api["Name"], "pantry-api")
        self.assertEqual(api["Tags"], {"jwtstack:stack": "pantry"})
        self.assertEqual(api["ProtocolType"], "HTTP")
        auth = self.c.get_authorizer(ApiId=api["ApiId"], AuthorizerId=self.routes(api["ApiId"])[0]["AuthorizerId"])
        self.assertEqual(auth["Name"], "pantry-jwt")
        self.assertEqual(auth["AuthorizerType"], "JWT")
        self.assertEqual(auth["IdentitySource"], ["$request.header.Authorization"])
        self.assertEqual(auth["JwtConfiguration"], {"Issuer": ISSUER, "Audience": ["pantry"]})
        (integration,) = self.c.get_integrations(ApiId=api["ApiId"])["Items"]
        self.assertEqual(integration["IntegrationType"], "AWS_PROXY")
        self.assertEqual(integration["IntegrationUri"], INVOKE)
        self.assertEqual(integration["PayloadFormatVersion"], "2.0")
        routes = self.routes(api["ApiId"])
        self.assertEqual([r["RouteKey"] for r in routes], ["DELETE /lists/{id}", "GET /lists"])
        self.assertEqual([r["AuthorizationScopes"] for r in routes], [["lists:write"], ["lists:read"]])
        self.assertTrue(all(r["AuthorizationType"] == "JWT" for r in routes))
        self.assertTrue(all(r["Target"] == f"integrations/{integration['IntegrationId']}" for r in routes))

    def test_any_method_default_route_and_a_route_without_security(self):
        body = json.loads(definition(routes={"/items/{proxy+}": {"x-amazon-apigateway-any-method": []},
                                             "/$default": {"x-amazon-apigateway-any-method": ["admin"]},
                                             "/health": {"get": None}}))
        api = self.c.import_api(Body=json.dumps(body), FailOnWarnings=True)
        routes = {r["RouteKey"]: r for r in self.routes(api["ApiId"])}
        self.assertEqual(sorted(routes), ["$default", "ANY /items/{proxy+}", "GET /health"])
        self.assertEqual(routes["GET /health"]["AuthorizationType"], "NONE")
        self.assertNotIn("AuthorizerId", routes["GET /health"])
        self.assertEqual(routes["ANY /items/{proxy+}"]["AuthorizationType"], "JWT")
        self.assertEqual(routes["$default"]["AuthorizationScopes"], ["admin"])

    def test_a_path_that_does_not_start_with_a_slash_is_refused_under_fail_on_warnings(self):
        # The form jwtstack once wrote for the default route; API Gateway answers with this warning
        # (aws/serverless-application-model#2297, aws/aws-sam-cli#3581).
        body = json.loads(definition(routes={"/lists": {"get": ["lists:read"]}}))
        body["paths"]["$default"] = {"x-amazon-apigateway-any-method": body["paths"]["/lists"]["get"]}
        self.assert_refused(json.dumps(body), "Resource $default should start with /")
        out = self.c.import_api(Body=json.dumps(body), FailOnWarnings=False)
        self.assertEqual([r["RouteKey"] for r in self.routes(out["ApiId"])], ["GET /lists"])

    def test_reimport_overwrites_routes_authorizer_and_name_but_keeps_id_stage_and_tags(self):
        api = self.c.import_api(Body=definition(), FailOnWarnings=True)
        api_id = api["ApiId"]
        self.c.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
        body = definition(routes={"/lists": {"get": ["lists:read", "lists:admin"]}}, title="renamed", issuer=OTHER)
        out = self.c.reimport_api(ApiId=api_id, Body=body, FailOnWarnings=True)
        self.assertEqual(out["ApiId"], api_id)
        self.assertEqual(out["Name"], "renamed")
        self.assertEqual(out["Tags"], {"jwtstack:stack": "pantry"})
        routes = self.routes(api_id)
        self.assertEqual([(r["RouteKey"], r["AuthorizationScopes"]) for r in routes], [("GET /lists", ["lists:read", "lists:admin"])])
        self.assertEqual(len(self.c.get_integrations(ApiId=api_id)["Items"]), 1)
        self.assertEqual([s["StageName"] for s in self.c.get_stages(ApiId=api_id)["Items"]], ["$default"])
        route_auth = self.c.get_authorizer(ApiId=api_id, AuthorizerId=routes[0]["AuthorizerId"])
        self.assertEqual(route_auth["JwtConfiguration"]["Issuer"], OTHER)

    def test_the_endpoint_configuration_and_integration_timeouts_are_the_definitions(self):
        api = self.c.import_api(Body=definition(), FailOnWarnings=True)
        api_id = api["ApiId"]
        (integration,) = self.c.get_integrations(ApiId=api_id)["Items"]
        self.assertEqual(integration["TimeoutInMillis"], 30000)
        self.assertFalse(api["DisableExecuteApiEndpoint"])
        # Set by hand, then a reimport that does not say: the API keeps its setting.
        self.c.update_api(ApiId=api_id, DisableExecuteApiEndpoint=True)
        self.c.reimport_api(ApiId=api_id, Body=definition(), FailOnWarnings=True)
        self.assertTrue(self.c.get_api(ApiId=api_id)["DisableExecuteApiEndpoint"])
        # A definition that says turns it back on; its integration's timeout is its own.
        body = json.loads(definition(extra={"servers": [
            {"x-amazon-apigateway-endpoint-configuration": {"disableExecuteApiEndpoint": False}}]}))
        body["components"]["x-amazon-apigateway-integrations"]["i0"]["timeoutInMillis"] = 5000
        self.c.reimport_api(ApiId=api_id, Body=json.dumps(body), FailOnWarnings=True)
        self.assertFalse(self.c.get_api(ApiId=api_id)["DisableExecuteApiEndpoint"])
        (integration,) = self.c.get_integrations(ApiId=api_id)["Items"]
        self.assertEqual(integration["TimeoutInMillis"], 5000)
        body["components"]["x-amazon-apigateway-integrations"]["i0"]["timeoutInMillis"] = 30001
        self.assert_refused(json.dumps(body), "timeoutInMillis must be between 50 and 30000")

    def test_reimport_of_a_missing_api_is_not_found(self):
        with self.assertRaises(ClientError) as e:
            self.c.reimport_api(ApiId="nosuchid", Body=definition(), FailOnWarnings=True)
        self.assertEqual(e.exception.response["Error"]["Code"], "NotFoundException")

    def assert_refused(self, body, fragment, fail_on_warnings=True):
        before = self.c.get_apis()["Items"]
        with self.assertRaises(ClientError) as e:
            self.c.import_api(Body=body, FailOnWarnings=fail_on_warnings)
        self.assertEqual(e.exception.response["Error"]["Code"], "BadRequestException")
        self.assertIn(fragment, e.exception.response["Error"]["Message"])
        self.assertEqual(self.c.get_apis()["Items"], before, "a refused import changes nothing")

    def test_errors_refuse_the_import_whatever_fail_on_warnings_says(self):
        self.assert_refused("{not json: [", "OpenAPI", fail_on_warnings=False)
        self.assert_refused(json.dumps({"swagger": "2.0", "info": {"title": "x"}}), "OpenAPI 3.0", fail_on_warnings=False)
        body = json.loads(definition())
        del body["info"]["title"]
        self.assert_refused(json.dumps(body), "info.title", fail_on_warnings=False)
        body = json.loads(definition())
        body["paths"]["/lists"]["get"]["security"] = [{"nope": []}]
        self.assert_refused(json.dumps(body), "security scheme nope", fail_on_warnings=False)
        body = json.loads(definition())
        body["paths"]["/lists"]["get"]["x-amazon-apigateway-integration"] = {"$ref": "#/components/x-amazon-apigateway-integrations/i9"}
        self.assert_refused(json.dumps(body), "i9", fail_on_warnings=False)
        body = json.loads(definition())
        del body["components"]["securitySchemes"]["pantry-jwt"]["x-amazon-apigateway-authorizer"]["jwtConfiguration"]["issuer"]
        self.assert_refused(json.dumps(body), "issuer and audience", fail_on_warnings=False)
        body = json.loads(definition())
        body["components"]["x-amazon-apigateway-integrations"]["i0"]["type"] = "lambda"
        self.assert_refused(json.dumps(body), "not an HTTP API type", fail_on_warnings=False)

    def test_warnings_refuse_only_with_fail_on_warnings(self):
        body = json.loads(definition())
        del body["paths"]["/lists"]["get"]["x-amazon-apigateway-integration"]
        body["x-amazon-apigateway-request-validators"] = {}
        self.assert_refused(json.dumps(body), "Route GET /lists has no integration")
        self.assert_refused(json.dumps(body), "x-amazon-apigateway-request-validators")
        out = self.c.import_api(Body=json.dumps(body), FailOnWarnings=False)
        self.assertEqual(len(out["Warnings"]), 2)
        routes = {r["RouteKey"]: r for r in self.routes(out["ApiId"])}
        self.assertNotIn("Target", routes["GET /lists"])

    def test_an_issuer_api_gateway_cannot_read_refuses_the_import_under_fail_on_warnings(self):
        # API Gateway reads the discovery document of every JWT authorizer while importing (moto_issuer).
        self.publish("pantry-private", "https://pantry-private.s3.us-east-1.amazonaws.com", public=False)
        for issuer, why in [("https://pantry-missing.s3.us-east-1.amazonaws.com", "no such bucket"),
                            ("https://pantry-private.s3.us-east-1.amazonaws.com", "403 Forbidden"),
                            ("https://127.0.0.1:9/realm", "Caught exception when connecting to https://127.0.0.1:9/realm")]:
            self.assert_refused(definition(issuer=issuer), "Unable to create Authorizer 'pantry-jwt'")
            self.assert_refused(definition(issuer=issuer), why)
        # Without FailOnWarnings, the authorizer is not made and its routes go with it.
        out = self.c.import_api(Body=definition(issuer="https://127.0.0.1:9/realm"), FailOnWarnings=False)
        self.assertEqual(self.routes(out["ApiId"]), [])
        self.assertIn("Unable to create Authorizer", out["Warnings"][0])

    def test_a_document_under_the_issuers_path_is_the_one_read(self):
        self.s3.put_object(Bucket=BUCKET, Key="tenant/.well-known/openid-configuration", Body=b"{}")
        # The public statement covers `.well-known/*` only: the tenant's document is not public yet.
        self.assert_refused(definition(issuer=f"{ISSUER}/tenant"), "403 Forbidden")
        self.s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": [f"arn:aws:s3:::{BUCKET}/.well-known/*", f"arn:aws:s3:::{BUCKET}/tenant/.well-known/*"]}]}))
        self.c.import_api(Body=definition(issuer=f"{ISSUER}/tenant"), FailOnWarnings=True)
        self.assert_refused(definition(issuer=f"{ISSUER}/other"), "404 Not Found")

    def test_a_refused_reimport_leaves_the_api_as_it_was(self):
        api_id = self.c.import_api(Body=definition(), FailOnWarnings=True)["ApiId"]
        before = [(r["RouteKey"], r["AuthorizationScopes"]) for r in self.routes(api_id)]
        body = json.loads(definition(routes={"/x": {"get": []}}))
        del body["paths"]["/x"]["get"]["x-amazon-apigateway-integration"]
        with self.assertRaises(ClientError):
            self.c.reimport_api(ApiId=api_id, Body=json.dumps(body), FailOnWarnings=True)
        self.assertEqual([(r["RouteKey"], r["AuthorizationScopes"]) for r in self.routes(api_id)], before)


if __name__ == "__main__":
    unittest.main()
