"""Unit test of the emulator's API Gateway v2 gaps filled by moto_apigw_stages_domains, through boto3 against moto in
process.

Run by scripts/test.sh: .venv-test/bin/python -m unittest discover -s tests/support -p 'test_*.py'
"""

import os
import sys
import unittest

import boto3
from moto import mock_aws
from moto.apigatewayv2.responses import ApiGatewayV2Response

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import moto_apigw_stages_domains  # noqa: E402

moto_apigw_stages_domains.install(ApiGatewayV2Response)
ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/jwtstack/shop/access"


class Stage(unittest.TestCase):
    def test_update_stage_and_delete_access_log_settings(self):
        with mock_aws():
            gw = boto3.client("apigatewayv2", region_name="us-east-1")
            api = gw.create_api(Name="a", ProtocolType="HTTP")["ApiId"]
            gw.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
            gw.update_stage(ApiId=api, StageName="$default",
                            AccessLogSettings={"DestinationArn": ARN, "Format": "{}"},
                            DefaultRouteSettings={"ThrottlingRateLimit": 100.0, "ThrottlingBurstLimit": 200})
            stage = gw.get_stage(ApiId=api, StageName="$default")
            self.assertEqual(stage["AccessLogSettings"]["DestinationArn"], ARN)
            self.assertEqual(stage["DefaultRouteSettings"]["ThrottlingRateLimit"], 100.0)
            self.assertEqual(stage["DefaultRouteSettings"]["ThrottlingBurstLimit"], 200)
            self.assertTrue(stage["AutoDeploy"])
            # A settings object without limits sets them to 0, as AWS does.
            gw.update_stage(ApiId=api, StageName="$default", DefaultRouteSettings={"DetailedMetricsEnabled": True})
            route = gw.get_stage(ApiId=api, StageName="$default")["DefaultRouteSettings"]
            self.assertEqual((route["ThrottlingRateLimit"], route["ThrottlingBurstLimit"]), (0.0, 0))
            gw.delete_access_log_settings(ApiId=api, StageName="$default")
            self.assertNotIn("AccessLogSettings", gw.get_stage(ApiId=api, StageName="$default"))


class DomainName(unittest.TestCase):
    def test_endpoint_update_and_delete_with_a_mapping(self):
        with mock_aws():
            gw = boto3.client("apigatewayv2", region_name="eu-west-1")
            api = gw.create_api(Name="a", ProtocolType="HTTP")["ApiId"]
            gw.create_stage(ApiId=api, StageName="$default")
            conf = {"CertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/a",
                    "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2"}
            created = gw.create_domain_name(DomainName="api.example.com", DomainNameConfigurations=[conf],
                                            Tags={"jwtstack:stack": "shop"})
            c = created["DomainNameConfigurations"][0]
            self.assertRegex(c["ApiGatewayDomainName"], r"^d-[0-9a-f]+\.execute-api\.eu-west-1\.amazonaws\.com$")
            self.assertEqual(c["HostedZoneId"], "ZLY8HYME6SFDD")
            conf["CertificateArn"] = "arn:aws:acm:eu-west-1:123456789012:certificate/b"
            gw.update_domain_name(DomainName="api.example.com", DomainNameConfigurations=[conf])
            c2 = gw.get_domain_name(DomainName="api.example.com")["DomainNameConfigurations"][0]
            self.assertEqual(c2["CertificateArn"], conf["CertificateArn"])
            self.assertEqual(c2["ApiGatewayDomainName"], c["ApiGatewayDomainName"])
            # IPv4 unless told otherwise; a configuration sent without the type puts a dualstack domain back to ipv4.
            self.assertEqual(c2["IpAddressType"], "ipv4")
            gw.update_domain_name(DomainName="api.example.com",
                                  DomainNameConfigurations=[dict(conf, IpAddressType="dualstack")])
            c3 = gw.get_domain_name(DomainName="api.example.com")["DomainNameConfigurations"][0]
            self.assertEqual(c3["IpAddressType"], "dualstack")
            gw.update_domain_name(DomainName="api.example.com", DomainNameConfigurations=[conf])
            c4 = gw.get_domain_name(DomainName="api.example.com")["DomainNameConfigurations"][0]
            self.assertEqual(c4["IpAddressType"], "ipv4")
            gw.create_api_mapping(DomainName="api.example.com", ApiId=api, Stage="$default")
            gw.delete_domain_name(DomainName="api.example.com")
            self.assertEqual(gw.get_domain_names()["Items"], [])

    def test_a_rest_apis_stage_is_mapped_once_it_exists(self):
        with mock_aws():
            gw = boto3.client("apigatewayv2", region_name="eu-west-1")
            rest = boto3.client("apigateway", region_name="eu-west-1")
            api = rest.create_rest_api(name="shop")
            rest.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET",
                            authorizationType="NONE")
            rest.put_integration(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET",
                                 type="MOCK")
            conf = {"CertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/a",
                    "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2"}
            gw.create_domain_name(DomainName="api.example.com", DomainNameConfigurations=[conf])
            with self.assertRaises(gw.exceptions.NotFoundException):
                gw.create_api_mapping(DomainName="api.example.com", ApiId=api["id"], Stage="live")
            rest.create_deployment(restApiId=api["id"], stageName="live")
            gw.create_api_mapping(DomainName="api.example.com", ApiId=api["id"], Stage="live")
            mappings = gw.get_api_mappings(DomainName="api.example.com")["Items"]
            self.assertEqual([(m["ApiId"], m["Stage"]) for m in mappings], [(api["id"], "live")])
            with self.assertRaises(gw.exceptions.NotFoundException):
                gw.create_api_mapping(DomainName="api.example.com", ApiId="nosuchapi", Stage="live")


if __name__ == "__main__":
    unittest.main()
