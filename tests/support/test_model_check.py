"""Unit tests of model_check.py, on requests as an AWS SDK puts them on the wire.

The requests are serialised and signed by botocore itself (its clients, with parameter validation off so that
it sends what the model forbids, and a `before-send` handler that captures the prepared request instead of
sending it): the same serialisers, from the same models, as the SDKs. Then a few are edited by hand where no
SDK would write them (unknown members, malformed bodies).

Run: .venv-test/bin/python -m unittest discover -s tests/support -p 'test_model_check.py'
"""

import datetime
import json
import os
import random
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import model_check  # noqa: E402

try:
    import botocore.session
    from botocore.config import Config
except ImportError:  # pragma: no cover - the test venv has botocore (moto depends on it)
    botocore = None

ACCOUNT = "123456789012"
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                                                              "Action": "s3:GetObject",
                                                              "Resource": "arn:aws:s3:::jwks-bucket/*"}]})
CERT_ARN = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/12345678-1234-1234-1234-123456789012"


class _Captured(Exception):
    pass


_CLIENTS = {}


def _client(service):
    if service not in _CLIENTS:
        session = botocore.session.get_session()
        client = session.create_client(
            service, region_name="us-east-1", endpoint_url="http://localhost:1",
            aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
            config=Config(parameter_validation=False, retries={"max_attempts": 1},
                          s3={"addressing_style": "path"}))
        box = {}

        def before_send(request, **_):
            box["request"] = request
            raise _Captured()

        client.meta.events.register("before-send", before_send)
        _CLIENTS[service] = (client, box)
    return _CLIENTS[service]


def wire(service, operation, **params):
    """The request botocore sends for `operation`: a dict of check()'s arguments (service included)."""
    client, box = _client(service)
    box.clear()
    try:
        getattr(client, operation)(**params)
    except _Captured:
        pass
    req = box["request"]
    url = urllib.parse.urlsplit(req.url)
    body = req.body
    if body is None:
        body = b""
    elif hasattr(body, "read"):
        body = body.read()
    elif isinstance(body, str):
        body = body.encode("utf-8")
    headers = {k: (v.decode("latin-1") if isinstance(v, bytes) else v) for k, v in req.headers.items()}
    return {"service": service, "method": req.method, "path": url.path, "query": url.query,
            "headers": headers, "body": bytes(body), "host": url.netloc}


def run(req, service=None):
    return model_check.check(service or req["service"], req["method"], req["path"], req["query"], req["headers"],
                             req["body"])


def edit_json(req, fn):
    data = json.loads(req["body"] or b"{}")
    fn(data)
    return dict(req, body=json.dumps(data).encode())


@unittest.skipIf(botocore is None, "botocore is not installed")
class Base(unittest.TestCase):
    def conforms(self, req):
        self.assertEqual(run(req), [], f"{req['method']} {req['path']}?{req['query']}")

    def violates(self, req, *needles, count=None):
        got = run(req)
        self.assertTrue(got, "expected violations, got none")
        text = "\n".join(got)
        for n in needles:
            self.assertIn(n, text)
        if count is not None:
            self.assertEqual(len(got), count, text)
        return got


class JsonProtocol(Base):
    """json: the operation is named by X-Amz-Target; the whole input is the JSON body."""

    def test_ssm_put_parameter_conforms(self):
        self.conforms(wire("ssm", "put_parameter", Name="/jwtstack/prod/signing-key", Value="secret",
                           Type="SecureString", Overwrite=True, Tier="Standard"))

    def test_ssm_put_parameter_name_too_long(self):
        got = self.violates(wire("ssm", "put_parameter", Name="/" + "n" * 2048, Value="v", Type="String"),
                            "ssm PutParameter: Name: length 2049 is above PSParameterName's max 2048", count=1)
        self.assertEqual(len(got), 1)

    def test_ssm_put_parameter_bad_type_enum(self):
        self.violates(wire("ssm", "put_parameter", Name="/p", Value="v", Type="Secret"),
                      "Type: 'Secret' is not one of ParameterType's enum values (String, StringList, SecureString)",
                      count=1)

    def test_ssm_missing_required_and_wrong_type(self):
        req = wire("ssm", "put_parameter", Name="/p", Type="String")
        req = edit_json(req, lambda d: d.update(Overwrite="yes"))
        self.violates(req, "Value: required member of PutParameterRequest is missing",
                      "Overwrite: expected a boolean (Boolean), got a string", count=2)

    def test_ssm_unknown_member(self):
        req = edit_json(wire("ssm", "get_parameter", Name="/p", WithDecryption=True),
                        lambda d: d.update(Decrypt=True))
        self.violates(req, "Decrypt: not a member of GetParameterRequest", count=1)

    def test_sensitive_values_not_echoed(self):
        # The model marks a secret `sensitive`: a violation names it without repeating it.
        secret = "not/a+valid=secret!" * 3
        got = run(wire("kms", "create_custom_key_store", CustomKeyStoreName="xks", CustomKeyStoreType="EXTERNAL_KEY_STORE",
                       XksProxyAuthenticationCredential={"AccessKeyId": "ABCDEFGHIJKLMNOPQRST",
                                                         "RawSecretAccessKey": secret}))
        self.assertEqual(len(got), 1, got)
        self.assertIn("XksProxyAuthenticationCredential.RawSecretAccessKey: <sensitive value, 57 long> does not match", got[0])
        self.assertNotIn("secret!", got[0])

    def test_ssm_reads_conform(self):
        self.conforms(wire("ssm", "get_parameter", Name="/p", WithDecryption=True))
        self.conforms(wire("ssm", "get_parameters_by_path", Path="/jwtstack/", Recursive=True, MaxResults=10))
        self.conforms(wire("ssm", "delete_parameter", Name="/p"))
        self.conforms(wire("ssm", "add_tags_to_resource", ResourceType="Parameter", ResourceId="/p",
                           Tags=[{"Key": "jwtstack", "Value": "prod"}]))

    def test_ssm_number_out_of_range(self):
        self.violates(wire("ssm", "get_parameters_by_path", Path="/p", MaxResults=11),
                      "MaxResults: 11 is above GetParametersByPathMaxResults's max 10")

    def test_unknown_target(self):
        req = wire("ssm", "get_parameter", Name="/p")
        req["headers"]["X-Amz-Target"] = "AmazonSSM.StealEverything"
        got = run(req)
        self.assertEqual(len(got), 1)
        self.assertIn("no operation of the ssm model matches X-Amz-Target 'AmazonSSM.StealEverything'", got[0])

    def test_malformed_json_body(self):
        req = dict(wire("ssm", "get_parameter", Name="/p"), body=b'{"Name": ')
        self.violates(req, "the body is not valid JSON", count=1)
        req = dict(req, body=b'["Name"]')
        self.violates(req, "the body must be a JSON object", count=1)

    def test_kms(self):
        self.conforms(wire("kms", "describe_key", KeyId="alias/jwtstack-prod"))
        self.conforms(wire("kms", "create_alias", AliasName="alias/jwtstack-prod", TargetKeyId="1234abcd-12ab"))
        self.conforms(wire("kms", "sign", KeyId="k", Message=b"m" * 32, MessageType="DIGEST",
                           SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256"))
        self.violates(wire("kms", "create_alias", AliasName="alias/jwt stack", TargetKeyId="k"),
                      "AliasName: 'alias/jwt stack' does not match AliasNameType's pattern")
        got = self.violates(wire("kms", "sign", KeyId="k", Message=b"m" * 4097, MessageType="RAW",
                                 SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256"),
                            "Message: length 4097 is above PlaintextType's max 4096 (bytes)", count=1)
        req = edit_json(wire("kms", "sign", KeyId="k", Message=b"m", SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256"),
                        lambda d: d.update(Message="not base64!"))
        self.violates(req, "Message: not valid base64", count=1)
        self.assertTrue(got)

    def test_acm(self):
        self.conforms(wire("acm", "describe_certificate", CertificateArn=CERT_ARN))
        self.conforms(wire("acm", "list_tags_for_certificate", CertificateArn=CERT_ARN))
        self.violates(wire("acm", "describe_certificate", CertificateArn="certificate/1234"),
                      "CertificateArn: length 16 is below Arn's min 20",
                      "does not match Arn's pattern")

    def test_logs(self):
        self.conforms(wire("logs", "delete_log_group", logGroupName="/aws/lambda/jwtstack-authorizer"))
        self.conforms(wire("logs", "put_retention_policy", logGroupName="/aws/jwtstack", retentionInDays=30))
        self.violates(wire("logs", "delete_log_group", logGroupName="/aws/lambda/jwt stack"),
                      "logGroupName: '/aws/lambda/jwt stack' does not match LogGroupName's pattern", count=1)
        self.violates(wire("logs", "put_retention_policy", logGroupName="/g", retentionInDays="30"),
                      "retentionInDays: expected an integer (Days), got a string", count=1)


class RestJsonProtocol(Base):
    """rest-json: the operation is the HTTP method + requestUri template; members in labels, query, headers, body."""

    def test_apigatewayv2_create_route_conforms(self):
        self.conforms(wire("apigatewayv2", "create_route", ApiId="a1b2c3", RouteKey="GET /.well-known/jwks.json",
                           Target="integrations/abc123", AuthorizationType="NONE"))

    def test_apigatewayv2_create_route_missing_route_key(self):
        self.violates(wire("apigatewayv2", "create_route", ApiId="a1b2c3", Target="integrations/abc123"),
                      "apigatewayv2 CreateRoute: RouteKey: required member of CreateRouteRequest is missing",
                      count=1)

    def test_apigatewayv2_enum_and_unknown_body_member(self):
        req = wire("apigatewayv2", "create_route", ApiId="a", RouteKey="$default", AuthorizationType="IAM")
        req = edit_json(req, lambda d: d.update(RouteKey="dup"))
        self.violates(req, "AuthorizationType: 'IAM' is not one of AuthorizationType's enum values",
                      "RouteKey: not a member of CreateRouteRequest", count=2)

    def test_apigatewayv2_other_calls(self):
        self.conforms(wire("apigatewayv2", "get_stage", ApiId="a1", StageName="$default"))
        self.conforms(wire("apigatewayv2", "update_route", ApiId="a1", RouteId="r1", AuthorizationType="JWT",
                           AuthorizerId="au1"))
        self.conforms(wire("apigatewayv2", "delete_cors_configuration", ApiId="a1"))
        self.conforms(wire("apigatewayv2", "get_apis", MaxResults="25"))
        self.conforms(wire("apigatewayv2", "create_api", Name="jwtstack", ProtocolType="HTTP",
                           CorsConfiguration={"AllowOrigins": ["https://example.com"], "MaxAge": 300}))
        self.violates(wire("apigatewayv2", "create_api", Name="jwtstack", ProtocolType="REST"),
                      "ProtocolType: 'REST' is not one of ProtocolType's enum values")
        self.violates(wire("apigatewayv2", "create_api", Name="jwtstack", ProtocolType="HTTP",
                           CorsConfiguration={"MaxAge": 86401}),
                      "CorsConfiguration.MaxAge: 86401 is above IntegerWithLengthBetweenMinus1And86400's max 86400")

    def test_lambda_add_permission(self):
        ok = wire("lambda", "add_permission", FunctionName="jwtstack-authorizer", StatementId="apigw-invoke",
                  Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
                  SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:a1b2c3/*")
        self.conforms(ok)
        # Lambda rejects a statement id with a dot though the pattern, unanchored, matches part of it.
        self.violates(wire("lambda", "add_permission", FunctionName="f", StatementId="assets.example.com",
                           Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com"),
                      "StatementId: 'assets.example.com' does not match StatementId's pattern ([a-zA-Z0-9-_]+)",
                      count=1)
        self.violates(wire("lambda", "add_permission", FunctionName="f", StatementId="s", Action="lambda:Invoke"),
                      "Principal: required member of AddPermissionRequest is missing", count=1)

    def test_lambda_labels_and_query(self):
        arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:jwtstack-authorizer"
        self.conforms(wire("lambda", "get_policy", FunctionName=arn, Qualifier="live"))
        self.conforms(wire("lambda", "get_function", FunctionName="jwtstack-authorizer"))
        self.conforms(wire("lambda", "remove_permission", FunctionName="f", StatementId="apigw-invoke"))
        req = wire("lambda", "get_policy", FunctionName="f")
        self.violates(dict(req, query="Qualifer=live"), "query parameter 'Qualifer' is not a member of GetPolicyRequest",
                      count=1)
        self.violates(wire("lambda", "get_function", FunctionName="has space"),
                      "FunctionName: 'has space' does not match NamespacedFunctionName's pattern")

    def test_no_route(self):
        req = wire("lambda", "get_function", FunctionName="f")
        got = run(dict(req, path="/2015-03-31/nothing-here"))
        self.assertEqual(len(got), 1)
        self.assertIn("no operation of the lambda model matches GET /2015-03-31/nothing-here", got[0])
        got = run(dict(req, method="PATCH"))
        self.assertIn("that path takes", got[0])


class RestXmlProtocol(Base):
    """rest-xml: as rest-json, with XML bodies (locationName, flattened, xmlAttribute) and raw payloads."""

    def test_s3_put_bucket_policy(self):
        self.conforms(wire("s3", "put_bucket_policy", Bucket="jwks-bucket", Policy=POLICY))
        req = wire("s3", "put_bucket_policy", Bucket="jwks-bucket", Policy=POLICY)
        self.violates(dict(req, body=b""), "Policy: required member of PutBucketPolicyRequest is missing")
        stripped = {k: v for k, v in req["headers"].items()
                    if k.lower() != "content-md5" and not k.lower().startswith("x-amz-checksum-")}
        self.violates(dict(req, headers=stripped), "requires a request checksum", count=1)

    def test_s3_calls_jwtstack_makes(self):
        b = "jwks-bucket"
        self.conforms(wire("s3", "create_bucket", Bucket=b))
        self.conforms(wire("s3", "create_bucket", Bucket=b,
                           CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}))
        self.conforms(wire("s3", "head_bucket", Bucket=b))
        self.conforms(wire("s3", "get_bucket_policy", Bucket=b))
        self.conforms(wire("s3", "delete_bucket_policy", Bucket=b))
        self.conforms(wire("s3", "get_bucket_location", Bucket=b))
        self.conforms(wire("s3", "get_bucket_tagging", Bucket=b))
        self.conforms(wire("s3", "put_bucket_tagging", Bucket=b,
                           Tagging={"TagSet": [{"Key": "jwtstack", "Value": "prod"}]}))
        self.conforms(wire("s3", "put_public_access_block", Bucket=b, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False}))
        self.conforms(wire("s3", "get_public_access_block", Bucket=b))
        self.conforms(wire("s3", "put_object", Bucket=b, Key=".well-known/jwks.json", Body=b'{"keys":[]}',
                           ContentType="application/json", CacheControl="max-age=300"))
        self.conforms(wire("s3", "get_object", Bucket=b, Key=".well-known/jwks.json"))
        self.conforms(wire("s3", "delete_object", Bucket=b, Key=".well-known/jwks.json"))
        self.conforms(wire("s3", "list_objects_v2", Bucket=b, Prefix=".well-known/", MaxKeys=100))
        self.conforms(wire("s3", "delete_bucket", Bucket=b))

    def test_s3_xml_violations(self):
        b = "jwks-bucket"
        self.violates(wire("s3", "put_bucket_tagging", Bucket=b, Tagging={"TagSet": [{"Key": "k"}]}),
                      "Tagging.TagSet[0].Value: required member of Tag is missing", count=1)
        req = wire("s3", "put_public_access_block", Bucket=b, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
        self.violates(dict(req, body=req["body"].replace(b">true<", b">yes<")),
                      "PublicAccessBlockConfiguration.BlockPublicAcls: expected a boolean, true or false (Setting), got 'yes'",
                      count=1)
        req = wire("s3", "put_bucket_tagging", Bucket=b, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
        self.violates(dict(req, body=req["body"].replace(b"<TagSet>", b"<Tags><Tag/></Tags><TagSet>")),
                      "element <Tags> is not a member of Tagging")
        self.violates(dict(req, body=b"<Tagging><TagSet>"), "the body is not well-formed XML")
        self.violates(dict(req, body=req["body"].replace(b"<Tagging", b"<Labels").replace(b"</Tagging>", b"</Labels>")),
                      "the body's root element is <Labels>, the model's is <Tagging>")
        self.violates(wire("s3", "list_objects_v2", Bucket=b, MaxKeys="many"),
                      "MaxKeys: expected an integer (MaxKeys), got 'many'")

    def test_s3_flattened_lists_header_maps_and_header_timestamps(self):
        b = "jwks-bucket"
        # DeleteObjects' Objects is a flattened list: <Delete><Object>...</Object><Object>...</Object></Delete>.
        req = wire("s3", "delete_objects", Bucket=b, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}], "Quiet": True})
        self.assertIn(b"<Object><Key>a</Key></Object><Object>", req["body"])
        self.conforms(req)
        self.violates(wire("s3", "delete_objects", Bucket=b, Delete={"Objects": [{"Key": "a"}, {"VersionId": "v"}]}),
                      "Delete.Objects[1].Key: required member of ObjectIdentifier is missing", count=1)
        # Metadata lives in x-amz-meta-* headers (location "headers").
        req = wire("s3", "put_object", Bucket=b, Key="k", Body=b"x", Metadata={"stack": "prod"})
        self.assertEqual(req["headers"]["x-amz-meta-stack"], "prod")
        self.conforms(req)
        self.violates(dict(req, headers=dict(req["headers"], **{"x-amz-storage-class": "COLD"})),
                      "StorageClass: 'COLD' is not one of StorageClass's enum values", count=1)
        # A timestamp header is an HTTP-date unless the member says otherwise (timestampFormat).
        req = wire("s3", "get_object", Bucket=b, Key="k",
                   IfModifiedSince=datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc))
        self.assertEqual(req["headers"]["If-Modified-Since"], "Tue, 01 Jan 2030 00:00:00 GMT")
        self.conforms(req)
        self.violates(dict(req, headers=dict(req["headers"], **{"If-Modified-Since": "2030-01-01"})),
                      "IfModifiedSince: expected a timestamp in rfc822 format (IfModifiedSince), got '2030-01-01'",
                      count=1)
        self.conforms(wire("s3", "put_object_retention", Bucket=b, Key="k", Retention={
            "Mode": "GOVERNANCE", "RetainUntilDate": datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)}))

    def test_s3_query_literals_pick_the_operation(self):
        self.assertEqual(model_check.operation_of(**_args(wire("s3", "get_bucket_policy", Bucket="b"))),
                         "GetBucketPolicy")
        self.assertEqual(model_check.operation_of(**_args(wire("s3", "list_objects_v2", Bucket="b"))),
                         "ListObjectsV2")
        self.assertEqual(model_check.operation_of(**_args(wire("s3", "get_object_tagging", Bucket="b", Key="a/b"))),
                         "GetObjectTagging")
        self.assertEqual(model_check.operation_of(**_args(wire("s3", "copy_object", Bucket="b", Key="a/b",
                                                                CopySource="src/k"))), "CopyObject")
        self.assertEqual(model_check.operation_of(**_args(wire("s3", "put_object", Bucket="b", Key="k", Body=b"x"))),
                         "PutObject")
        # A copy whose source breaks CopyObject's pattern is a bad CopyObject, not a good PutObject.
        self.violates(wire("s3", "copy_object", Bucket="b", Key="k", CopySource="nobucket"),
                      "s3 CopyObject: CopySource: 'nobucket' does not match CopySource's pattern", count=1)
        # The Rust SDK's x-id hint is no violation.
        req = wire("s3", "get_object", Bucket="b", Key="k")
        self.assertEqual(run(dict(req, query="x-id=GetObject")), [])

    def test_s3_virtual_hosted_style(self):
        req = wire("s3", "get_bucket_policy", Bucket="jwks-bucket")
        headers = dict(req["headers"], Host="jwks-bucket.s3.us-east-1.amazonaws.com")
        self.assertEqual(run(dict(req, path="/", headers=headers)), [])

    def test_s3control(self):
        req = wire("s3control", "get_public_access_block", AccountId=ACCOUNT)
        self.conforms(req)
        headers = {k: v for k, v in req["headers"].items() if k.lower() != "x-amz-account-id"}
        self.violates(dict(req, headers=headers), "AccountId: required member of GetPublicAccessBlockRequest is missing")
        self.violates(wire("s3control", "get_public_access_block", AccountId="12345"),
                      "AccountId: '12345' does not match AccountId's pattern")

    def test_route53_change_resource_record_sets(self):
        def change(rtype):
            return wire("route53", "change_resource_record_sets", HostedZoneId="Z0123456789ABC", ChangeBatch={
                "Comment": "jwtstack", "Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
                    "Name": "auth.example.com.", "Type": rtype,
                    "AliasTarget": {"HostedZoneId": "Z2FDTNDATAQYW2", "DNSName": "d111111abcdef8.cloudfront.net.",
                                    "EvaluateTargetHealth": False}}}]})
        self.conforms(change("A"))
        self.violates(change("BOGUS"), "route53 ChangeResourceRecordSets: ChangeBatch.Changes[0].ResourceRecordSet.Type:"
                      " 'BOGUS' is not one of RRType's enum values", count=1)
        # The SDKs strip the "/hostedzone/" prefix off a zone id; sent as is, it breaks the label's max length.
        req = change("A")
        self.violates(dict(req, path=req["path"].replace("Z0123456789ABC", "%2Fhostedzone%2FZ0123456789ABCDEFGHIJKLMNOP")),
                      "HostedZoneId: length 39 is above ResourceId's max 32")
        self.conforms(wire("route53", "list_resource_record_sets", HostedZoneId="Z0123", StartRecordName="auth.example.com",
                           StartRecordType="A", MaxItems="1"))
        self.violates(wire("route53", "list_resource_record_sets", HostedZoneId="Z0123", StartRecordType="ALIAS"),
                      "StartRecordType: 'ALIAS' is not one of RRType's enum values")

    def _distribution_config(self, **over):
        config = {
            "CallerReference": "jwtstack-prod-1", "Comment": "", "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{
                "Id": "jwks", "DomainName": "jwks-bucket.s3.us-east-1.amazonaws.com",
                "S3OriginConfig": {"OriginAccessIdentity": ""}, "OriginAccessControlId": "E2QWRUHAPOMQZL"}]},
            "DefaultCacheBehavior": {"TargetOriginId": "jwks", "ViewerProtocolPolicy": "redirect-to-https",
                                     "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
                                     "AllowedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"],
                                                        "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}}},
            "Aliases": {"Quantity": 1, "Items": ["auth.example.com"]},
            "ViewerCertificate": {"ACMCertificateArn": CERT_ARN, "SSLSupportMethod": "sni-only",
                                  "MinimumProtocolVersion": "TLSv1.2_2021"},
            "PriceClass": "PriceClass_100", "HttpVersion": "http2and3",
        }
        config.update(over)
        return config

    def test_cloudfront_create_distribution(self):
        # The model's key is CreateDistribution; its wire name CreateDistribution2020_05_31.
        self.conforms(wire("cloudfront", "create_distribution", DistributionConfig=self._distribution_config()))
        self.conforms(wire("cloudfront", "create_distribution_with_tags", DistributionConfigWithTags={
            "DistributionConfig": self._distribution_config(),
            "Tags": {"Items": [{"Key": "jwtstack", "Value": "prod"}]}}))
        bad = self._distribution_config(PriceClass="PriceClass_Cheapest")
        del bad["Enabled"]
        self.violates(wire("cloudfront", "create_distribution", DistributionConfig=bad),
                      "cloudfront CreateDistribution: DistributionConfig.Enabled: required member of DistributionConfig is missing",
                      "DistributionConfig.PriceClass: 'PriceClass_Cheapest' is not one of PriceClass's enum values",
                      count=2)
        bad = self._distribution_config()
        bad["Origins"]["Quantity"] = "one"
        self.violates(wire("cloudfront", "create_distribution", DistributionConfig=bad),
                      "DistributionConfig.Origins.Quantity: expected an integer (integer), got 'one'", count=1)

    def test_cloudfront_other_calls(self):
        self.conforms(wire("cloudfront", "get_distribution", Id="E1ABCDEF"))
        self.conforms(wire("cloudfront", "delete_distribution", Id="E1ABCDEF", IfMatch="E2ETAG"))
        self.conforms(wire("cloudfront", "create_origin_access_control", OriginAccessControlConfig={
            "Name": "jwtstack-prod", "SigningProtocol": "sigv4", "SigningBehavior": "always",
            "OriginAccessControlOriginType": "s3"}))
        self.conforms(wire("cloudfront", "create_invalidation", DistributionId="E1", InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/.well-known/jwks.json"]}, "CallerReference": "r1"}))
        self.violates(wire("cloudfront", "create_origin_access_control", OriginAccessControlConfig={
            "Name": "jwtstack-prod", "SigningProtocol": "sigv4", "SigningBehavior": "sometimes",
            "OriginAccessControlOriginType": "s3"}),
            "SigningBehavior: 'sometimes' is not one of OriginAccessControlSigningBehaviors's enum values", count=1)


class QueryProtocol(Base):
    """query: the operation is the Action form field; members are form fields (.member.N lists)."""

    def test_sts_get_caller_identity(self):
        req = wire("sts", "get_caller_identity")
        self.assertEqual(req["body"], b"Action=GetCallerIdentity&Version=2011-06-15")
        self.conforms(req)
        self.violates(dict(req, body=b"Action=GetCallerIdentity&Version=2011-06-15&Account=1"),
                      "form field 'Account' is not a member of GetCallerIdentityRequest", count=1)
        self.violates(dict(req, body=b"Action=GetCallerIdentity&Version=2011-06-16"),
                      "Version: '2011-06-16' is not the model's apiVersion '2011-06-15'", count=1)
        got = run(dict(req, body=b"Action=GetCallerIdentities&Version=2011-06-15"))
        self.assertEqual(got, ["no operation of the sts model matches Action='GetCallerIdentities'"])
        self.assertEqual(run(dict(req, method="GET", query=req["body"].decode(), body=b"")), [])
        got = run(dict(req, body=b"Version=2011-06-15"))
        self.assertEqual(len(got), 1)
        self.assertIn("no operation of the sts model matches", got[0])

    def test_sts_lists_and_structures(self):
        ok = wire("sts", "assume_role", RoleArn=f"arn:aws:iam::{ACCOUNT}:role/deployer", RoleSessionName="jwtstack",
                  Tags=[{"Key": "app", "Value": "jwtstack"}], PolicyArns=[{"arn": f"arn:aws:iam::{ACCOUNT}:policy/p1"}],
                  DurationSeconds=900)
        self.assertIn(b"Tags.member.1.Key=app", ok["body"])
        self.conforms(ok)
        self.violates(wire("sts", "assume_role", RoleArn=f"arn:aws:iam::{ACCOUNT}:role/deployer", RoleSessionName="j",
                           Tags=[{"Key": "app"}], DurationSeconds=899),
                      "RoleSessionName: length 1 is below roleSessionNameType's min 2",
                      "Tags[0].Value: required member of Tag is missing",
                      "DurationSeconds: 899 is below roleDurationSecondsType's min 900",
                      count=3)


def cbor_wire(service, operation, **params):
    """The rpc-v2-cbor request botocore's RpcV2CBORSerializer writes (botocore itself prefers json when a model
    lists both, as the Resource Groups Tagging API's does)."""
    from botocore.serialize import create_serializer
    model = botocore.session.get_session().get_service_model(service).operation_model(operation)
    req = create_serializer("smithy-rpc-v2-cbor", include_validation=False).serialize_to_request(params, model)
    return {"service": service, "method": req["method"], "path": req["url_path"], "query": "",
            "headers": dict(req["headers"]), "body": req["body"]}


class RpcV2Cbor(Base):
    """The Resource Groups Tagging API lists smithy-rpc-v2-cbor first, then json."""

    def test_tagging_json(self):
        req = wire("resourcegroupstaggingapi", "get_resources", ResourcesPerPage=50,
                   TagFilters=[{"Key": "jwtstack", "Values": ["prod"]}])
        self.assertEqual(model_check.service_of(req["headers"], req["path"]), "resourcegroupstaggingapi")
        self.conforms(req)
        self.assertEqual(run(req, service="tagging"), [])
        self.violates(wire("resourcegroupstaggingapi", "get_resources", TagFilters=[{"Key": "k" * 129}]),
                      "TagFilters[0].Key: length 129 is above TagKey's max 128", count=1)
        self.violates(wire("resourcegroupstaggingapi", "get_resources", ResourcesPerPage="50"),
                      "ResourcesPerPage: expected an integer (ResourcesPerPage), got a string", count=1)

    def test_tagging_cbor(self):
        req = cbor_wire("resourcegroupstaggingapi", "GetResources", ResourcesPerPage=50,
                        TagFilters=[{"Key": "jwtstack", "Values": ["prod"]}])
        self.assertEqual(req["path"], "/service/ResourceGroupsTaggingAPI_20170126/operation/GetResources")
        self.conforms(req)
        self.violates(cbor_wire("resourcegroupstaggingapi", "GetResources", TagFilters=[{"Key": "k" * 129}]),
                      "TagFilters[0].Key: length 129 is above TagKey's max 128", count=1)
        self.violates(cbor_wire("resourcegroupstaggingapi", "TagResources", ResourceARNList=["arn:aws:s3:::b"]),
                      "Tags: required member of TagResourcesInput is missing", count=1)
        self.violates(dict(req, body=b"\xff\x00"), "the body is not valid CBOR", count=1)
        self.violates(dict(req, path="/service/ResourceGroupsTaggingAPI_20170126/operation/Nope"),
                      "no operation of the resourcegroupstaggingapi model matches", count=1)


def _args(req):
    return {k: req[k] for k in ("service", "method", "path", "query", "headers", "body")}


class ServiceOf(Base):
    """service_of(): the SigV4 credential scope, with botocore's directory names."""

    def test_every_service_jwtstack_calls(self):
        cases = [
            ("s3", wire("s3", "get_bucket_policy", Bucket="b")),
            ("s3control", wire("s3control", "get_public_access_block", AccountId=ACCOUNT)),
            ("ssm", wire("ssm", "get_parameter", Name="/p")),
            ("kms", wire("kms", "describe_key", KeyId="k")),
            ("apigatewayv2", wire("apigatewayv2", "get_api", ApiId="a")),
            ("lambda", wire("lambda", "get_function", FunctionName="f")),
            ("sts", wire("sts", "get_caller_identity")),
            ("cloudfront", wire("cloudfront", "get_distribution", Id="E1")),
            ("acm", wire("acm", "describe_certificate", CertificateArn=CERT_ARN)),
            ("route53", wire("route53", "list_resource_record_sets", HostedZoneId="Z1")),
            ("logs", wire("logs", "describe_log_groups")),
            ("apigateway", wire("apigateway", "get_rest_apis")),
        ]
        for want, req in cases:
            with self.subTest(want):
                self.assertEqual(model_check.service_of(req["headers"], req["path"]), want)
                self.assertEqual(model_check.check_http(req["method"], req["path"] + ("?" + req["query"] if req["query"] else ""),
                                                        req["headers"], req["body"]), [])
        # S3 Control signs as s3: told apart by its path, else by its account header or host prefix.
        s3c = cases[1][1]
        self.assertIn("/s3/aws4_request", s3c["headers"]["Authorization"])
        self.assertTrue(s3c["host"].startswith(ACCOUNT + "."))
        self.assertEqual(model_check.service_of(s3c["headers"]), "s3control")
        self.assertEqual(model_check.service_of(cases[0][1]["headers"]), "s3")
        # API Gateway v2 signs as apigateway; without a path, v2 (the one jwtstack calls).
        self.assertIn("/apigateway/aws4_request", cases[4][1]["headers"]["Authorization"])
        self.assertEqual(model_check.service_of(cases[4][1]["headers"]), "apigatewayv2")

    def test_odd_headers(self):
        self.assertIsNone(model_check.check_http("GET", "/", {}, b""))
        self.assertIsNone(model_check.service_of({}))
        self.assertIsNone(model_check.service_of(None))
        self.assertIsNone(model_check.service_of({"Authorization": "Bearer x"}))
        self.assertIsNone(model_check.service_of({"authorization": "AWS4-HMAC-SHA256 Credential=AKID/2024/x"}))
        self.assertEqual(model_check.service_of({"authorization": "AWS4-ECDSA-P256-SHA256 Credential=AKID/20240101/s3/aws4_request"},
                                                "/b"), "s3")
        self.assertEqual(model_check.service_of({"X-Amz-Target": "AmazonSSM.GetParameter"}), "ssm")
        presigned = "/b/k?X-Amz-Credential=AKID%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=ab"
        self.assertEqual(model_check.service_of({}, presigned), "s3")
        self.assertEqual(model_check.service_of({"authorization": "AWS4-HMAC-SHA256 Credential=A/2024/us-east-1/tagging/aws4_request"}),
                         "resourcegroupstaggingapi")
        self.assertEqual(model_check.service_of({"authorization": "AWS4-HMAC-SHA256 Credential=A/2024/us-east-1/monitoring/aws4_request"}),
                         "cloudwatch")


SERVICES = ["s3", "s3control", "ssm", "kms", "apigatewayv2", "lambda", "sts", "cloudfront", "acm", "route53", "logs",
            "resourcegroupstaggingapi"]


class Robustness(Base):
    def test_never_raises(self):
        rng = random.Random(7)
        samples = [wire("ssm", "get_parameter", Name="/p"), wire("s3", "put_bucket_policy", Bucket="b", Policy=POLICY),
                   wire("apigatewayv2", "create_route", ApiId="a", RouteKey="$default"), wire("sts", "get_caller_identity"),
                   wire("route53", "list_resource_record_sets", HostedZoneId="Z1")]
        for service in SERVICES + ["nosuchservice", "", None, "../etc"]:
            for req in samples:
                for _ in range(15):
                    body = bytes(rng.randrange(256) for _ in range(rng.randrange(40)))
                    if rng.random() < 0.5:
                        body = req["body"][: rng.randrange(len(req["body"]) + 1)]
                    path = rng.choice(["/", "", "//", "/%zz", "/v2/apis/%2F/routes", "/2015-03-31/functions/x/policy",
                                       req["path"], "/service/X/operation/Y", "/v20180820/configuration/publicAccessBlock"])
                    query = rng.choice(["", "a=b&a=c", "%%", "tagging", "policy&x-id=1", req["query"]])
                    headers = rng.choice([{}, req["headers"], {"X-Amz-Target": "AmazonSSM.PutParameter"},
                                          {"x-amz-target": b"\xff"}, {b"Host": "b.localhost:1"}])
                    method = rng.choice(["GET", "PUT", "POST", "DELETE", "HEAD", "", None])
                    got = model_check.check(service, method, path, query, headers, body)
                    self.assertIsInstance(got, list)
                    self.assertTrue(all(isinstance(v, str) for v in got))
                    self.assertFalse(any("internal error" in v for v in got), got)
        self.assertEqual(model_check.check("nosuchservice", "GET", "/", "", {}, b""),
                         ["model_check: no botocore model for service 'nosuchservice'"])
        self.assertIn("no operation of the ssm model matches", model_check.check("ssm", "POST", "/", "", None, None)[0])
        # An XML bomb is refused, not expanded.
        bomb = b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa">]><Tagging>&a;</Tagging>'
        got = model_check.check("s3", "PUT", "/b", "tagging", {"content-md5": "x"}, bomb)
        self.assertIn("DOCTYPE", got[0])
        deep = b"[" * 100000 + b"]" * 100000
        self.assertTrue(model_check.check("ssm", "POST", "/", "", {"x-amz-target": "AmazonSSM.GetParameter"}, deep))

    def test_every_pattern_of_these_models_compiles_or_is_skipped_quietly(self):
        for service in SERVICES:
            model = model_check._model(service)
            for name, shape in model.shapes.items():
                if "pattern" in shape:
                    with self.subTest(service=service, shape=name):
                        # None would mean "not enforced": none of these services' patterns needs skipping.
                        self.assertIsNotNone(model_check._pattern(shape["pattern"]), shape["pattern"])

    def test_java_regex_translation(self):
        tags = model_check._pattern(r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$")
        self.assertTrue(tags.fullmatch("Équipe prod_1:a/b=c+d-e@f"))
        self.assertFalse(tags.fullmatch("a!b"))
        xml_chars = model_check._pattern(r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*")
        self.assertTrue(xml_chars.fullmatch("emoji 😀 ok"))
        self.assertFalse(xml_chars.fullmatch("bell \x07"))
        self.assertTrue(model_check._pattern(r"[\w-_]*").fullmatch("a-b_c"))
        flags = model_check._pattern(r"(?!(?i)AWS_)[a-zA-Z_][a-zA-Z0-9_]*")
        self.assertFalse(flags.fullmatch("aws_x"))
        self.assertTrue(flags.fullmatch("AWSX"))
        self.assertFalse(model_check._pattern(r"\A[a-z]+\z").fullmatch("abc\n"))
        self.assertTrue(model_check._pattern(r"\p{ASCII}+").fullmatch("abc"))
        self.assertFalse(model_check._pattern(r"[^\p{C}]+").fullmatch("zero\u200bwidth"))
        # Java's \w is ASCII.
        self.assertFalse(model_check._pattern(r"\w+").fullmatch("é"))
        # Broken even for Java, or beyond Python's re: skipped (None), never raised.
        self.assertIsNone(model_check._pattern(r"^[-_a-zA-Z0-9]*${2,64}$"))
        self.assertIsNone(model_check._pattern(r"[\p{Print}&&[^|:/]]+"))


class EveryOperation(Base):
    def test_every_operation_is_recognised_as_itself(self):
        """Each operation of the models, serialised by botocore with only its labels and required headers and
        query parameters set, is identified as itself and draws no "no operation" / "not a member" violation.
        The exceptions are S3's twins, which put the same request on the wire."""
        from botocore import xform_name
        twins = {("s3", "GetBucketLifecycle"), ("s3", "PutBucketLifecycle"), ("s3", "GetBucketNotification"),
                 ("s3", "ListDirectoryBuckets")}
        session = botocore.session.get_session()
        for service in SERVICES:
            model = session.get_service_model(service)
            for op in model.operation_names:
                shape = model.operation_model(op).input_shape
                params = {}
                for name, member in (shape.members.items() if shape else []):
                    loc = member.serialization.get("location")
                    if loc == "uri" or member.serialization.get("hostLabel") or (
                            name in shape.required_members and loc in ("header", "querystring")):
                        value = {"integer": 1, "long": 1, "boolean": True}.get(member.type_name, "x1")
                        params[name] = ACCOUNT if member.serialization.get("hostLabel") or name == "AccountId" else value
                req = wire(service, xform_name(op), **params)
                got = run(req)
                with self.subTest(service=service, operation=op):
                    self.assertFalse([v for v in got if "no operation" in v or "not a member" in v], got)
                    if (service, op) not in twins:
                        self.assertEqual(model_check.operation_of(**_args(req)), op)


class Speed(Base):
    def test_models_cached_and_checks_fast(self):
        self.assertIs(model_check._model("ssm"), model_check._model("ssm"))
        reqs = [wire("ssm", "put_parameter", Name="/jwtstack/prod/key", Value="v", Type="SecureString",
                     Tags=[{"Key": "a", "Value": "b"}]),
                wire("s3", "put_object", Bucket="b", Key="k", Body=b"x"),
                wire("cloudfront", "get_distribution", Id="E1")]
        for req in reqs:
            run(req)  # warm: the model and its patterns
        start = time.perf_counter()
        for _ in range(300):
            for req in reqs:
                run(req)
        per_call = (time.perf_counter() - start) / 900
        self.assertLess(per_call, 0.002, f"{per_call * 1000:.2f} ms a check")


if __name__ == "__main__":
    unittest.main()
