"""Unit test of the emulator's CloudFront gap filled by moto_cloudfront, through boto3 against moto in process.

Run by scripts/test.sh: .venv-test/bin/python -m unittest discover -s tests/support -p 'test_*.py'
"""

import os
import sys
import unittest

import boto3
from moto import mock_aws

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import moto_cloudfront  # noqa: E402


def create(cf, oac):
    origin = {"Id": "o", "DomainName": "b.s3.eu-west-1.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}
    if oac:
        origin["OriginAccessControlId"] = oac
    config = {"CallerReference": "r-%s" % oac, "Comment": "c", "Enabled": True,
              "Origins": {"Quantity": 1, "Items": [origin]},
              "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "redirect-to-https",
                                       "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}}
    return cf.create_distribution(DistributionConfig=config)["Distribution"]["Id"]


class OriginAccessControlId(unittest.TestCase):
    def test_the_origin_keeps_its_origin_access_control(self):
        moto_cloudfront.install()
        with mock_aws():
            cf = boto3.client("cloudfront", region_name="us-east-1")
            oac = cf.create_origin_access_control(OriginAccessControlConfig={
                "Name": "jwtstack-pantry", "SigningProtocol": "sigv4", "SigningBehavior": "always",
                "OriginAccessControlOriginType": "s3"})["OriginAccessControl"]["Id"]
            dist = create(cf, oac)
            origin = cf.get_distribution(Id=dist)["Distribution"]["DistributionConfig"]["Origins"]["Items"][0]
            self.assertEqual(origin["OriginAccessControlId"], oac)
            listed = cf.list_distributions()["DistributionList"]["Items"][0]["Origins"]["Items"][0]
            self.assertEqual(listed["OriginAccessControlId"], oac)
            # An origin without one reads back without one.
            plain = create(cf, "")
            origin = cf.get_distribution(Id=plain)["Distribution"]["DistributionConfig"]["Origins"]["Items"][0]
            self.assertIn(origin.get("OriginAccessControlId", ""), ("", None))


if __name__ == "__main__":
    unittest.main()
