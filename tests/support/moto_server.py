"""Starts moto server (the AWS emulator the integration tests and the demo use) on loopback.

Emulator gap filled here, and only here: moto 5.2.5 answers apigatewayv2 GetAuthorizers (the list call) with
500 "not implemented", while real AWS has it and jwtstack uses it. The handler below lists an API's
authorizers from moto's own model, in the shape AWS returns.

Usage: python moto_server.py -H 127.0.0.1 -p PORT
"""

import json
import sys

from moto.apigatewayv2.responses import ApiGatewayV2Response


def get_authorizers(self):
    api_id = self.path.split("/")[-2]
    api = self.apigatewayv2_backend.get_api(api_id=api_id)
    items = [a.to_json() for a in api.authorizers.values()]
    return 200, {}, json.dumps({"items": items})


ApiGatewayV2Response.get_authorizers = get_authorizers

from moto.server import main  # noqa: E402  (after the patch, so the server serves it)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
