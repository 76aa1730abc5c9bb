"""Starts moto server (the AWS emulator the integration tests and the demo use) on loopback.

Emulator gaps filled here, and only here:
- moto 5.2.5 answers apigatewayv2 GetAuthorizers (the list call) with 500 "not implemented", while real AWS has it
  and jwtstack uses it. The handler below lists an API's authorizers from moto's own model, in the shape AWS
  returns.
- ImportApi is not implemented and ReimportApi keeps only routes and integrations: `moto_openapi` implements both
  from AWS's documented semantics (its docstring lists each rule and its source; `test_moto_openapi.py` tests it).
- CloudFront drops an origin's OriginAccessControlId: `moto_cloudfront` keeps it (`test_moto_cloudfront.py`).
- UpdateStage, DeleteAccessLogSettings and UpdateDomainName are missing, and a custom domain name has no endpoint:
  `moto_apigw_stages_domains` adds them (`test_moto_apigw_stages_domains.py`).
- KMS Sign with MessageType DIGEST hashes the digest again: `moto_kms` signs it as a digest (`test_moto_kms.py`).
- The REST API's CreateAuthorizer refuses type JWT and no authorizer has a jwtConfiguration: `moto_rest_jwt` creates,
  returns and updates JWT authorizers by AWS's documented rules (`test_moto_rest_jwt.py`).
- The REST API's methods and resources: moto has no UpdateMethod, replaces an existing method on PutMethod, keeps a
  mapping of an undeclared parameter and makes duplicate or second variable siblings; `moto_rest_methods` answers
  as AWS does (`test_moto_rest_methods.py`).

Usage: python moto_server.py -H 127.0.0.1 -p PORT
"""

import json
import os
import sys

from moto.apigatewayv2.responses import ApiGatewayV2Response

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import moto_apigw_stages_domains  # noqa: E402
import moto_cloudfront  # noqa: E402
import moto_kms  # noqa: E402
import moto_openapi  # noqa: E402
import moto_rest_jwt  # noqa: E402
import moto_rest_methods  # noqa: E402


def get_authorizers(self):
    api_id = self.path.split("/")[-2]
    api = self.apigatewayv2_backend.get_api(api_id=api_id)
    items = [a.to_json() for a in api.authorizers.values()]
    return 200, {}, json.dumps({"items": items})


ApiGatewayV2Response.get_authorizers = get_authorizers
moto_openapi.install(ApiGatewayV2Response)
moto_cloudfront.install()
moto_kms.install()
moto_rest_jwt.install()
moto_rest_methods.install()
moto_apigw_stages_domains.install(ApiGatewayV2Response)

from moto.server import main  # noqa: E402  (after the patch, so the server serves it)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
