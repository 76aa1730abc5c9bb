"""Fills one gap of moto 5.2.5's CloudFront for jwtstack's tests: its `Origin` model drops
`OriginAccessControlId`, so a distribution read back has no origin access control, while real AWS keeps and returns
it (CloudFront API Reference, "Origin": OriginAccessControlId, "The unique identifier of an origin access control
for this origin"). Installed by `moto_server.py`; `test_moto_cloudfront.py` tests it.

What moto does not model and the strict proxy does (`aws_proxy.py --strict`): deleting a distribution that is not
disabled and deployed, a distribution that is `InProgress` after each change, OAC names unique per account, and an
OAC in use that cannot be deleted.
"""

from moto.cloudfront import models


def install():
    original = models.Origin.__init__

    def init(self, origin):
        original(self, origin)
        self.origin_access_control_id = origin.get("OriginAccessControlId") or ""

    models.Origin.__init__ = init
