"""Unit test of the emulator's JWT authorizers for REST APIs (moto_rest_jwt), through boto3 against moto in process.
One test per rule of moto_rest_jwt's docstring.

Run by scripts/test.sh: .venv-test/bin/python -m unittest discover -s tests/support -p 'test_*.py'
"""

import json
import os
import sys
import unittest

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import moto_rest_jwt  # noqa: E402

moto_rest_jwt.install()

HEADER = "method.request.header.Authorization"
ISSUER = "https://issuer.example.com/shop"


def config(**issuer):
    entry = {"issuer": ISSUER, "audiences": ["orders"]}
    entry.update(issuer)
    return {"issuers": [entry], "defaultAlgorithms": ["RS256"]}


class Case(unittest.TestCase):
    def setUp(self):
        self.mock = mock_aws()
        self.mock.start()
        self.gw = boto3.client("apigateway", region_name="us-east-1")
        # botocore checks required members and types before sending; this one sends what it is given, so that the
        # emulator's own checks are what answers.
        self.raw = boto3.client("apigateway", region_name="us-east-1", config=Config(parameter_validation=False))
        self.api = self.gw.create_rest_api(name="shop")["id"]

    def tearDown(self):
        self.mock.stop()

    def create(self, client=None, **kwargs):
        args = {"restApiId": self.api, "name": "jwt", "type": "JWT", "identitySource": HEADER,
                "jwtConfiguration": config()}
        args.update(kwargs)
        args = {k: v for k, v in args.items() if v is not None}
        return (client or self.gw).create_authorizer(**args)

    def refused(self, call, code="BadRequestException", contains=""):
        with self.assertRaises(ClientError) as e:
            call()
        err = e.exception.response["Error"]
        self.assertEqual(err["Code"], code, err)
        status = 404 if code == "NotFoundException" else 400
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], status)
        self.assertIn(contains, err["Message"])
        return err["Message"]

    def refused_create(self, contains="", client=None, **kwargs):
        return self.refused(lambda: self.create(client=client, **kwargs), contains=contains)

    def patch(self, authorizer, *ops):
        return self.gw.update_authorizer(restApiId=self.api, authorizerId=authorizer, patchOperations=list(ops))


class Create(Case):
    def test_a_valid_configuration_is_read_back_exactly(self):
        sent = {
            "issuers": [
                {"issuer": ISSUER, "audiences": ["orders", "billing"],
                 "additionalClaims": [
                     {"claimName": "tenant", "format": "SINGLE_STRING", "required": True, "expectedValues": ["acme"]},
                     {"claimName": "client_id", "format": "SINGLE_STRING"},
                 ]},
                {"issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc", "audiences": ["app"]},
            ],
            "defaultAlgorithms": ["RS256", "ES256"],
        }
        created = self.create(jwtConfiguration=sent, authType="oidc")
        expected = {"id": created["id"], "name": "jwt", "type": "JWT", "identitySource": HEADER,
                    "authType": "oidc", "jwtConfiguration": sent}
        del created["ResponseMetadata"]
        self.assertEqual(created, expected)
        got = self.gw.get_authorizer(restApiId=self.api, authorizerId=created["id"])
        del got["ResponseMetadata"]
        self.assertEqual(got, expected)
        self.assertEqual(self.gw.get_authorizers(restApiId=self.api)["items"], [expected])
        # No TTL (not supported for JWT authorizers) and no jwksUri (resolved by discovery, which is not run).
        self.assertNotIn("authorizerResultTtlInSeconds", got)
        self.assertNotIn("jwksUri", got["jwtConfiguration"]["issuers"][0])

    def test_jwt_configuration_is_required(self):
        self.refused_create("jwtConfiguration is required", jwtConfiguration=None)

    def test_identity_source_is_a_single_request_header_expression(self):
        self.refused_create("identitySource is required", identitySource=None)
        for value in ["method.request.querystring.token", f"{HEADER}, method.request.header.X-Other",
                      "Authorization", "$request.header.Authorization", "method.request.header."]:
            self.refused_create("single request-header mapping expression", identitySource=value)
        self.create(identitySource="method.request.header.X-Api-Token")

    def test_fields_not_supported_for_jwt_are_refused(self):
        for field, value in [("providerARNs", ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/p"]),
                             ("authorizerUri", "arn:aws:apigateway:us-east-1:lambda:path/f"),
                             ("authorizerCredentials", "arn:aws:iam::123456789012:role/r"),
                             ("authorizerResultTtlInSeconds", 60)]:
            self.refused_create(f"{field} is not supported for JWT authorizers", **{field: value})

    def test_issuers_and_default_algorithms_are_required_and_not_empty(self):
        self.refused_create("issuers is required", client=self.raw, jwtConfiguration={"defaultAlgorithms": ["RS256"]})
        self.refused_create("defaultAlgorithms is required", client=self.raw,
                            jwtConfiguration={"issuers": config()["issuers"]})
        self.refused_create("at least one issuer", jwtConfiguration={"issuers": [], "defaultAlgorithms": ["RS256"]})
        self.refused_create("at least one algorithm",
                            jwtConfiguration={"issuers": config()["issuers"], "defaultAlgorithms": []})

    def test_only_rsa_and_ecdsa_algorithms(self):
        for alg in ["HS256", "HS384", "HS512", "none", "PS256", "rs256"]:
            self.refused_create(f"Invalid defaultAlgorithms value '{alg}'",
                                jwtConfiguration={"issuers": config()["issuers"], "defaultAlgorithms": [alg]})
        for alg in ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]:
            self.create(jwtConfiguration={"issuers": config()["issuers"], "defaultAlgorithms": [alg]})

    def test_issuer_is_an_absolute_https_url_with_a_host_and_no_userinfo_query_or_fragment(self):
        for url in ["http://issuer.example.com", "https://", "https:///path", "issuer.example.com", "/shop", "",
                    "https://user:pw@issuer.example.com", "https://user@issuer.example.com",
                    "https://issuer.example.com/?a=b", "https://issuer.example.com/?",
                    "https://issuer.example.com/#f", "https://issuer.example.com/a b"]:
            self.refused_create("must be an absolute https URL", jwtConfiguration=config(issuer=url))
        for url in ["https://issuer.example.com", "https://issuer.example.com/", "https://issuer.example.com:8443/x"]:
            self.create(jwtConfiguration=config(issuer=url))

    def test_issuer_urls_are_unique_as_exact_strings(self):
        twice = {"issuers": [{"issuer": ISSUER, "audiences": ["a"]}, {"issuer": ISSUER, "audiences": ["b"]}],
                 "defaultAlgorithms": ["RS256"]}
        self.refused_create("issuer URLs must be unique", jwtConfiguration=twice)
        # With and without a trailing slash are two issuers: the token's iss must match exactly.
        slash = {"issuers": [{"issuer": ISSUER, "audiences": ["a"]}, {"issuer": ISSUER + "/", "audiences": ["a"]}],
                 "defaultAlgorithms": ["RS256"]}
        self.create(jwtConfiguration=slash)

    def test_audiences_are_required_at_least_one_and_none_empty(self):
        self.refused_create("audiences is required", client=self.raw,
                            jwtConfiguration={"issuers": [{"issuer": ISSUER}], "defaultAlgorithms": ["RS256"]})
        self.refused_create("at least one value", jwtConfiguration=config(audiences=[]))
        self.refused_create("cannot be empty", jwtConfiguration=config(audiences=["orders", ""]))

    def test_claim_name_is_not_empty_and_not_reserved(self):
        for name in ["iss", "aud", "exp", "nbf", "iat", "scope", "scp"]:
            self.refused_create(f"claimName cannot be {name}",
                                jwtConfiguration=config(additionalClaims=[{"claimName": name,
                                                                           "format": "SINGLE_STRING"}]))
        self.refused_create("claimName is required and cannot be empty",
                            jwtConfiguration=config(additionalClaims=[{"claimName": "", "format": "SINGLE_STRING"}]))
        self.refused_create("claimName is required", client=self.raw,
                            jwtConfiguration=config(additionalClaims=[{"format": "SINGLE_STRING"}]))
        # Claim names are case-sensitive: ISS is not iss.
        self.create(jwtConfiguration=config(additionalClaims=[{"claimName": "ISS", "format": "SINGLE_STRING"}]))

    def test_claim_names_are_unique_within_an_issuer(self):
        claim = {"claimName": "tenant", "format": "SINGLE_STRING"}
        self.refused_create("claim names must be unique within the issuer",
                            jwtConfiguration=config(additionalClaims=[claim, dict(claim, required=True)]))
        both = {"issuers": [{"issuer": ISSUER, "audiences": ["a"], "additionalClaims": [claim]},
                            {"issuer": ISSUER + "/2", "audiences": ["a"], "additionalClaims": [claim]}],
                "defaultAlgorithms": ["RS256"]}
        self.create(jwtConfiguration=both)

    def test_format_is_single_string(self):
        for fmt in ["STRING_ARRAY", "single_string", ""]:
            self.refused_create("the only valid value is SINGLE_STRING",
                                jwtConfiguration=config(additionalClaims=[{"claimName": "t", "format": fmt}]))
        self.refused_create("the only valid value is SINGLE_STRING", client=self.raw,
                            jwtConfiguration=config(additionalClaims=[{"claimName": "t"}]))

    def test_expected_values_cannot_be_empty(self):
        for values, words in [([], "at least one value"), ([""], "cannot be empty"), (["a", ""], "cannot be empty")]:
            self.refused_create(words, jwtConfiguration=config(
                additionalClaims=[{"claimName": "t", "format": "SINGLE_STRING", "expectedValues": values}]))

    def test_required_is_a_boolean(self):
        self.refused_create("must be a Boolean", client=self.raw, jwtConfiguration=config(
            additionalClaims=[{"claimName": "t", "format": "SINGLE_STRING", "required": "yes"}]))

    def test_an_unknown_rest_api_is_not_found(self):
        self.refused(lambda: self.create(restApiId="nope"), code="NotFoundException")


class Update(Case):
    def setUp(self):
        super().setUp()
        self.id = self.create()["id"]

    def replace(self, value):
        return self.patch(self.id, {"op": "replace", "path": "/jwtConfiguration", "value": value})

    def stored(self):
        return self.gw.get_authorizer(restApiId=self.api, authorizerId=self.id)["jwtConfiguration"]

    def test_replace_sets_the_whole_configuration(self):
        new = {"issuers": [{"issuer": "https://other.example.com", "audiences": ["x"],
                            "additionalClaims": [{"claimName": "tenant", "format": "SINGLE_STRING",
                                                  "expectedValues": ["acme"]}]}],
               "defaultAlgorithms": ["ES384"]}
        answer = self.replace(json.dumps(new))
        self.assertEqual(answer["jwtConfiguration"], new)
        self.assertEqual(self.stored(), new)  # nothing kept of the previous issuer

    def test_a_configuration_read_back_can_be_sent_back(self):
        # The update page's recipe: get-authorizer's jwtConfiguration, edited, sent whole.
        current = self.stored()
        current["issuers"].append({"issuer": "https://second.example.com", "audiences": ["orders"]})
        self.replace(json.dumps(current))
        self.assertEqual([i["issuer"] for i in self.stored()["issuers"]], [ISSUER, "https://second.example.com"])

    def test_the_replaced_configuration_is_held_to_the_create_rules(self):
        before = self.stored()
        for value, words in [
            (config(issuer="http://issuer.example.com"), "absolute https URL"),
            ({"issuers": config()["issuers"], "defaultAlgorithms": ["HS256"]}, "Invalid defaultAlgorithms"),
            ({"defaultAlgorithms": ["RS256"]}, "issuers is required"),
            (config(additionalClaims=[{"claimName": "scp", "format": "SINGLE_STRING"}]), "claimName cannot be scp"),
            (config(jwksUri="https://issuer.example.com/jwks.json"), "jwksUri is read-only"),
        ]:
            self.refused(lambda: self.replace(json.dumps(value)), contains=words)
        self.refused(lambda: self.replace("{not json"), contains="as JSON")
        self.assertEqual(self.stored(), before)

    def test_only_a_single_replace_of_jwt_configuration(self):
        whole = json.dumps(config())
        for ops in [
            [{"op": "add", "path": "/jwtConfiguration", "value": whole}],
            [{"op": "remove", "path": "/jwtConfiguration"}],
            [{"op": "replace", "path": "/jwtConfiguration/issuers", "value": json.dumps(config()["issuers"])}],
            [{"op": "replace", "path": "/jwtConfiguration/defaultAlgorithms/0", "value": "RS512"}],
            [{"op": "replace", "path": "/jwtConfiguration", "value": whole}] * 2,
        ]:
            self.refused(lambda: self.patch(self.id, *ops), contains="single replace operation")

    def test_other_fields(self):
        answer = self.patch(self.id, {"op": "replace", "path": "/name", "value": "renamed"},
                            {"op": "replace", "path": "/identitySource", "value": "method.request.header.X-Token"})
        self.assertEqual((answer["name"], answer["identitySource"]), ("renamed", "method.request.header.X-Token"))
        self.assertEqual(answer["jwtConfiguration"], config())
        self.refused(lambda: self.patch(self.id, {"op": "replace", "path": "/identitySource",
                                                  "value": "method.request.querystring.t"}),
                     contains="single request-header mapping expression")
        self.refused(lambda: self.patch(self.id, {"op": "remove", "path": "/identitySource"}),
                     contains="identitySource is required")
        self.refused(lambda: self.patch(self.id, {"op": "replace", "path": "/authorizerResultTtlInSeconds",
                                                  "value": "60"}),
                     contains="not supported for JWT authorizers")

    def test_delete(self):
        self.gw.delete_authorizer(restApiId=self.api, authorizerId=self.id)
        self.refused(lambda: self.gw.get_authorizer(restApiId=self.api, authorizerId=self.id),
                     code="NotFoundException")
        self.assertEqual(self.gw.get_authorizers(restApiId=self.api)["items"], [])


class OtherTypes(Case):
    def test_other_authorizer_types_are_moto_s(self):
        token = self.gw.create_authorizer(restApiId=self.api, name="t", type="TOKEN", identitySource=HEADER,
                                          authorizerUri="arn:aws:apigateway:us-east-1:lambda:path/f")
        cognito = self.gw.create_authorizer(restApiId=self.api, name="c", type="COGNITO_USER_POOLS",
                                            identitySource=HEADER,
                                            providerARNs=["arn:aws:cognito-idp:us-east-1:123456789012:userpool/p"])
        request = self.gw.create_authorizer(restApiId=self.api, name="r", type="REQUEST")
        for a in (token, cognito, request):
            self.assertEqual(a["authorizerResultTtlInSeconds"], 300)
            self.assertNotIn("jwtConfiguration", a)
        self.assertEqual(cognito["providerARNs"], ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/p"])
        answer = self.patch(token["id"], {"op": "replace", "path": "/authorizerResultTtlInSeconds", "value": "60"})
        self.assertEqual(answer["authorizerResultTtlInSeconds"], 60)
        # /jwtConfiguration is a JWT authorizer's: moto's refusal of an unknown path stands.
        self.refused(lambda: self.patch(token["id"], {"op": "replace", "path": "/jwtConfiguration",
                                                      "value": json.dumps(config())}),
                     contains="not implemented")

    def test_an_unknown_type_lists_jwt_among_the_valid_ones(self):
        message = self.refused(lambda: self.gw.create_authorizer(restApiId=self.api, name="x", type="OIDC"),
                               code="ValidationException")
        self.assertIn("[TOKEN, REQUEST, COGNITO_USER_POOLS, JWT]", message)


if __name__ == "__main__":
    unittest.main()
