"""KMS Sign with MessageType DIGEST, which moto 5.2.5 does not implement: it hashes the digest again as if it
were the message, so the signature is of the wrong bytes.

AWS KMS API Reference, Sign, MessageType: "Use DIGEST ... to indicate that the value is a message digest ...
KMS skips the hashing step"; and Message: "If you provide a message digest, use the DIGEST value of MessageType
... the length of the Message value must match the length of hashing algorithm that is specified in the
SigningAlgorithm parameter", else ValidationException. Implemented here for RSA keys (the keys jwtstack makes):
the digest is signed as prehashed, with the padding and hash of the signing algorithm. Other keys and RAW
messages go to moto unchanged.
"""

import base64
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils
from moto.kms.exceptions import ValidationException
from moto.kms.responses import KmsResponse

HASHES = {"SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512}


def _padding_and_hash(algorithm):
    """RSASSA_PKCS1_V1_5_SHA_256 -> (PKCS1v15, SHA256()); RSASSA_PSS_SHA_384 -> (PSS, SHA384())."""
    for suffix, make in HASHES.items():
        if algorithm.endswith(suffix):
            h = make()
            if algorithm.startswith("RSASSA_PSS_"):
                return padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h
            if algorithm.startswith("RSASSA_PKCS1_V1_5_"):
                return padding.PKCS1v15(), h
    return None, None


def install():
    moto_sign = KmsResponse.sign

    def sign(self):
        if self._get_param("MessageType") != "DIGEST":
            return moto_sign(self)
        key_id = self._get_param("KeyId")
        algorithm = self._get_param("SigningAlgorithm")
        self._validate_key_id(key_id)
        key = self.kms_backend.describe_key(key_id)
        private = getattr(getattr(key, "private_key", None), "private_key", None)
        pad, h = _padding_and_hash(algorithm or "")
        if not isinstance(private, rsa.RSAPrivateKey) or pad is None:
            return moto_sign(self)
        digest = self._get_param("Message")  # moto decodes the base64 of Message itself
        if len(digest) != h.digest_size:
            raise ValidationException(
                "Digest is invalid length for algorithm %s." % algorithm)
        signature = private.sign(digest, pad, utils.Prehashed(h))
        return json.dumps({"KeyId": key.arn, "Signature": base64.b64encode(signature).decode(),
                           "SigningAlgorithm": algorithm})

    KmsResponse.sign = sign
