"""Puts an ACM certificate in the emulator, as a user's own would be before `issuer.cloudfront.domain`.

Usage: python certificate.py ENDPOINT REGION DOMAIN import|request   (prints the certificate ARN)
  import   a self-signed certificate for DOMAIN, imported: ACM says ISSUED
  request  a requested one, not validated yet: ACM says PENDING_VALIDATION
"""

import datetime
import sys

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

endpoint, region, domain, how = sys.argv[1:5]
acm = boto3.client("acm", endpoint_url=endpoint, region_name=region, aws_access_key_id="test",
                   aws_secret_access_key="test")
if how == "request":
    print(acm.request_certificate(DomainName=domain, ValidationMethod="DNS")["CertificateArn"])
    sys.exit(0)
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .sign(key, hashes.SHA256()))
arn = acm.import_certificate(
    Certificate=cert.public_bytes(serialization.Encoding.PEM),
    PrivateKey=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                 serialization.NoEncryption()),
)["CertificateArn"]
print(arn)
