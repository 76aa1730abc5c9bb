"""Unit test of the emulator's REST API methods and resources (moto_rest_methods), through boto3 against moto in
process. One test per rule of moto_rest_methods's docstring.

Run by scripts/test.sh: .venv-test/bin/python -m unittest discover -s tests/support -p 'test_*.py'
"""

import os
import sys
import unittest

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import moto_rest_methods  # noqa: E402

moto_rest_methods.install()


class Case(unittest.TestCase):
    def setUp(self):
        self.mock = mock_aws()
        self.mock.start()
        self.gw = boto3.client("apigateway", region_name="us-east-1")
        api = self.gw.create_rest_api(name="shop")
        self.api, self.root = api["id"], api["rootResourceId"]
        self.items = self.gw.create_resource(restApiId=self.api, parentId=self.root, pathPart="items")["id"]

    def tearDown(self):
        self.mock.stop()

    def refused(self, call, code, contains):
        with self.assertRaises(ClientError) as e:
            call()
        err = e.exception.response["Error"]
        self.assertEqual(err["Code"], code, err)
        self.assertIn(contains, err["Message"])

    def put(self, **kwargs):
        args = {"restApiId": self.api, "resourceId": self.items, "httpMethod": "GET", "authorizationType": "NONE"}
        args.update(kwargs)
        return self.gw.put_method(**args)

    def update(self, *ops, method="GET"):
        return self.gw.update_method(restApiId=self.api, resourceId=self.items, httpMethod=method,
                                     patchOperations=list(ops))

    def test_update_method_patches_authorization_scopes_and_parameters(self):
        self.put(authorizationScopes=["a"])
        out = self.update({"op": "replace", "path": "/authorizationType", "value": "JWT"},
                          {"op": "replace", "path": "/authorizerId", "value": "abc"},
                          {"op": "add", "path": "/authorizationScopes", "value": "b"},
                          {"op": "remove", "path": "/authorizationScopes", "value": "a"},
                          {"op": "add", "path": "/requestParameters/method.request.path.id", "value": "true"})
        self.assertEqual((out["authorizationType"], out["authorizerId"]), ("JWT", "abc"))
        self.assertEqual(out["authorizationScopes"], ["b"])
        self.assertEqual(out["requestParameters"], {"method.request.path.id": True})
        got = self.gw.get_method(restApiId=self.api, resourceId=self.items, httpMethod="GET")
        self.assertEqual(got["authorizationScopes"], ["b"])
        out = self.update({"op": "replace", "path": "/authorizationType", "value": "NONE"},
                          {"op": "replace", "path": "/authorizerId", "value": ""},
                          {"op": "remove", "path": "/authorizationScopes", "value": "b"},
                          {"op": "remove", "path": "/requestParameters/method.request.path.id"})
        self.assertEqual(out["authorizationType"], "NONE")
        self.assertNotIn("authorizerId", {k: v for k, v in out.items() if v})
        self.assertFalse(out.get("authorizationScopes"))
        self.assertFalse(out.get("requestParameters"))

    def test_update_method_refuses_an_unknown_path_and_applies_nothing(self):
        self.put(authorizationScopes=["a"])
        self.refused(lambda: self.update({"op": "add", "path": "/authorizationScopes", "value": "b"},
                                         {"op": "replace", "path": "/color", "value": "red"}),
                     "BadRequestException", "Invalid patch path")
        got = self.gw.get_method(restApiId=self.api, resourceId=self.items, httpMethod="GET")
        self.assertEqual(got["authorizationScopes"], ["a"])

    def test_update_method_of_a_missing_method_is_not_found(self):
        self.refused(lambda: self.update({"op": "replace", "path": "/authorizationType", "value": "JWT"}),
                     "NotFoundException", "Invalid Method identifier specified")

    def test_put_method_of_an_existing_method_is_a_conflict(self):
        self.put()
        self.refused(lambda: self.put(), "ConflictException", "Method already exists for this resource")
        self.put(httpMethod="POST")

    def test_put_integration_mapping_an_undeclared_parameter_is_refused(self):
        self.put()
        integration = {"restApiId": self.api, "resourceId": self.items, "httpMethod": "GET", "type": "HTTP_PROXY",
                       "integrationHttpMethod": "GET", "uri": "https://example.com/{id}",
                       "requestParameters": {"integration.request.path.id": "method.request.path.id"}}
        self.refused(lambda: self.gw.put_integration(**integration), "BadRequestException",
                     "Invalid mapping expression parameter specified: method.request.path.id")
        self.update({"op": "add", "path": "/requestParameters/method.request.path.id", "value": "true"})
        out = self.gw.put_integration(**integration)
        self.assertEqual(out["requestParameters"], {"integration.request.path.id": "method.request.path.id"})

    def test_create_resource_refuses_a_taken_name_and_a_second_variable_sibling(self):
        self.refused(lambda: self.gw.create_resource(restApiId=self.api, parentId=self.root, pathPart="items"),
                     "ConflictException", "Another resource with the same parent already has this name: items")
        self.gw.create_resource(restApiId=self.api, parentId=self.items, pathPart="{id}")
        self.refused(lambda: self.gw.create_resource(restApiId=self.api, parentId=self.items, pathPart="{proxy+}"),
                     "BadRequestException", "A sibling ({id}) of this resource already has a variable path part")
        self.gw.create_resource(restApiId=self.api, parentId=self.items, pathPart="new")

    def test_delete_authorizer_used_by_a_method_is_a_conflict(self):
        authorizer = self.gw.create_authorizer(restApiId=self.api, name="shop-auth", type="TOKEN",
                                               authorizerUri="arn:aws:apigateway:us-east-1:lambda:path/x",
                                               identitySource="method.request.header.Authorization")["id"]
        self.put(authorizationType="CUSTOM", authorizerId=authorizer)
        self.refused(lambda: self.gw.delete_authorizer(restApiId=self.api, authorizerId=authorizer),
                     "ConflictException", "Cannot delete authorizer 'shop-auth', is referenced in method: GET//items")
        self.gw.delete_method(restApiId=self.api, resourceId=self.items, httpMethod="GET")
        self.gw.delete_authorizer(restApiId=self.api, authorizerId=authorizer)
        self.assertEqual(self.gw.get_authorizers(restApiId=self.api)["items"], [])

    def test_an_access_log_needs_the_accounts_cloudwatch_role(self):
        self.put()
        self.gw.put_integration(restApiId=self.api, resourceId=self.items, httpMethod="GET", type="MOCK")
        self.gw.create_deployment(restApiId=self.api, stageName="live")
        ops = [{"op": "replace", "path": "/accessLogSettings/destinationArn",
                "value": "arn:aws:logs:us-east-1:123456789012:log-group:access"},
               {"op": "replace", "path": "/accessLogSettings/format", "value": "$context.requestId"}]
        self.refused(lambda: self.gw.update_stage(restApiId=self.api, stageName="live", patchOperations=ops),
                     "BadRequestException", "CloudWatch Logs role ARN must be set in account settings")
        self.assertNotIn("accessLogSettings", self.gw.get_stage(restApiId=self.api, stageName="live"))
        # Throttling needs no role.
        self.gw.update_stage(restApiId=self.api, stageName="live",
                             patchOperations=[{"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "10"}])
        self.gw.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn",
                                                 "value": "arn:aws:iam::123456789012:role/apigw-logs"}])
        self.gw.update_stage(restApiId=self.api, stageName="live", patchOperations=ops)
        stage = self.gw.get_stage(restApiId=self.api, stageName="live")
        self.assertEqual(stage["accessLogSettings"]["format"], "$context.requestId")

    def test_a_private_api_is_deployed_only_with_a_resource_policy(self):
        api = self.gw.create_rest_api(name="inner", endpointConfiguration={"types": ["PRIVATE"]})
        self.gw.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET",
                           authorizationType="NONE")
        self.gw.put_integration(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", type="MOCK")
        self.refused(lambda: self.gw.create_deployment(restApiId=api["id"], stageName="live"),
                     "BadRequestException", "Private REST API doesn't have a resource policy attached to it")
        self.gw.update_rest_api(restApiId=api["id"], patchOperations=[
            {"op": "replace", "path": "/policy", "value": '{"Version":"2012-10-17","Statement":[]}'}])
        self.gw.create_deployment(restApiId=api["id"], stageName="live")
        held = self.gw.get_rest_api(restApiId=api["id"])["policy"]
        self.assertEqual(held, '{\\"Version\\":\\"2012-10-17\\",\\"Statement\\":[]}')

    def test_a_policy_is_kept_with_the_apis_arn_and_answered_escaped(self):
        policy = '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}'
        api = self.gw.create_rest_api(name="inner", policy=policy)
        held = self.gw.get_rest_api(restApiId=api["id"])["policy"]
        arn = "arn:aws:execute-api:us-east-1:123456789012:%s/*" % api["id"]
        self.assertEqual(held, policy.replace("execute-api:/*", arn).replace('"', '\\"'))


if __name__ == "__main__":
    unittest.main()
