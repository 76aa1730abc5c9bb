"""Unit test of the emulator's KMS Sign with MessageType DIGEST (moto_kms), through boto3 against moto in process.

Run by scripts/test.sh: .venv-test/bin/python -m unittest discover -s tests/support -p 'test_*.py'
"""

import hashlib
import os
import sys
import unittest

import boto3
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from moto import mock_aws

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import moto_kms  # noqa: E402


class SignDigest(unittest.TestCase):
    def setUp(self):
        moto_kms.install()

    def test_a_digest_is_signed_as_the_message_it_is_the_digest_of(self):
        with mock_aws():
            kms = boto3.client("kms", region_name="us-east-1")
            key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
            public = serialization.load_der_public_key(kms.get_public_key(KeyId=key)["PublicKey"])
            message = b"x" * 5000
            for algorithm, h, pad in [
                ("RSASSA_PKCS1_V1_5_SHA_256", hashes.SHA256(), padding.PKCS1v15()),
                ("RSASSA_PKCS1_V1_5_SHA_512", hashes.SHA512(), padding.PKCS1v15()),
            ]:
                digest = hashlib.new(h.name, message).digest()
                sig = kms.sign(KeyId=key, Message=digest, MessageType="DIGEST",
                               SigningAlgorithm=algorithm)["Signature"]
                public.verify(sig, message, pad, h)  # raises when the signature is of other bytes
            # RAW is moto's own and still signs the message.
            sig = kms.sign(KeyId=key, Message=b"m", MessageType="RAW",
                           SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")["Signature"]
            public.verify(sig, b"m", padding.PKCS1v15(), hashes.SHA256())

    def test_a_digest_of_another_length_is_refused(self):
        with mock_aws():
            kms = boto3.client("kms", region_name="us-east-1")
            key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
            with self.assertRaises(ClientError) as e:
                kms.sign(KeyId=key, Message=b"short", MessageType="DIGEST",
                         SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")
            self.assertEqual(e.exception.response["Error"]["Code"], "ValidationException")


if __name__ == "__main__":
    unittest.main()
