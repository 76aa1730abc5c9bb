"""Fills the gaps of moto 5.2.5's API Gateway v2 that jwtstack's stage and custom domain steps meet, each from
AWS's documented behaviour (the API Reference of Amazon API Gateway Version 2). Installed by `moto_server.py`;
`test_moto_apigw_stages_domains.py` tests it.

- UpdateStage (PATCH /v2/apis/{apiId}/stages/{stageName}) is not implemented. Implemented here: the fields sent
  replace the stage's (AccessLogSettings, AutoDeploy, DefaultRouteSettings, Description). A DefaultRouteSettings
  object replaces the whole object, and limits it leaves out become 0, as AWS does (the throttling of a stage
  "defaults to 0, meaning don't allow any traffic": terraform-provider-aws#30373, pulumi-aws#2363), so a client
  that sends an incomplete object sees every request refused in the state it reads back.
- DeleteAccessLogSettings (DELETE /v2/apis/{apiId}/stages/{stageName}/accesslogsettings) has no route.
- CreateDomainName keeps only the configuration sent; AWS adds the regional endpoint it serves the name from
  (ApiGatewayDomainName, `d-{id}.execute-api.{region}.amazonaws.com`), that endpoint's hosted zone (HostedZoneId,
  the regional API Gateway zone of the region) and DomainNameStatus AVAILABLE; a configuration without
  IpAddressType is ipv4 ("The default IP address type for API Gateway custom domain names is IPv4": "IP address
  types for custom domain names for HTTP APIs").
- UpdateDomainName (PATCH /v2/domainnames/{domainName}) is not implemented: the configurations sent replace the
  domain's, keeping the endpoint AWS gave it (so one sent without IpAddressType makes the domain ipv4 again).
- DeleteDomainName deletes the domain's API mappings while iterating over them, which fails for a domain that
  has one ("dictionary changed size during iteration"); AWS deletes the mappings with the domain.
- CreateApiMapping knows only API Gateway v2's APIs. AWS maps a custom domain name to a REST API's stage through
  the same call ("a Regional custom domain can be associated with REST APIs and HTTP APIs", AWS Knowledge Center,
  custom-domain-name-amazon-api-gateway; ApiMapping's ApiId and Stage in the v2 API Reference): a REST API of the
  account and region is taken here, its stage must exist (NotFoundException, "The resource specified in the
  request was not found", the API Reference's answer for an unknown resource).
"""

import hashlib
import json
from urllib.parse import unquote

from moto.apigateway.models import apigateway_backends
from moto.apigatewayv2 import models, urls
from moto.apigatewayv2.exceptions import DomainNameNotFound, ApiNotFound

# API Gateway's regional hosted zones (AWS General Reference, "Amazon API Gateway endpoints and quotas").
REGIONAL_ZONES = {
    "us-east-1": "Z1UJRXOUMOOFQ8",
    "us-east-2": "ZOJJZC49E0EPZ",
    "us-west-1": "Z2MUQ32089INYE",
    "us-west-2": "Z2OJLYMUO9EFXC",
    "eu-west-1": "ZLY8HYME6SFDD",
    "eu-west-2": "ZJ5UAJN8Y3Z2Q",
    "eu-central-1": "Z1U9ULNL0V5AJ3",
    "ap-southeast-1": "ZL327KTPIQFUL",
    "ap-southeast-2": "Z2RPCDW04V8134",
    "ap-northeast-1": "Z1YSHQZHG15GKL",
}


def endpoint_of(domain_name, region):
    digest = hashlib.sha256(domain_name.encode()).hexdigest()[:10]
    return f"d-{digest}.execute-api.{region}.amazonaws.com", REGIONAL_ZONES.get(region, "Z1UJRXOUMOOFQ8")


def fill(configurations, domain_name, region):
    target, zone = endpoint_of(domain_name, region)
    out = []
    for c in configurations or [{}]:
        c = dict(c)
        c["apiGatewayDomainName"] = target
        c["hostedZoneId"] = zone
        c.setdefault("endpointType", "REGIONAL")
        c.setdefault("securityPolicy", "TLS_1_2")
        c.setdefault("ipAddressType", "ipv4")
        c["domainNameStatus"] = "AVAILABLE"
        out.append(c)
    return out


def update_stage_model(stage, params):
    if "accessLogSettings" in params:
        stage.access_log_settings = params["accessLogSettings"]
    if "autoDeploy" in params:
        stage.auto_deploy = params["autoDeploy"]
    if "description" in params:
        stage.description = params["description"]
    if "defaultRouteSettings" in params:
        sent = dict(params["defaultRouteSettings"] or {})
        sent.setdefault("throttlingRateLimit", 0.0)
        sent.setdefault("throttlingBurstLimit", 0)
        sent.setdefault("detailedMetricsEnabled", False)
        stage.default_route_settings = sent


def install(response_class):
    urls.url_paths["{0}/v2/apis/(?P<api_id>[^/]+)/stages/(?P<stage_name>[^/]+)/accesslogsettings$"] = (
        response_class.dispatch
    )

    def update_stage(self):
        parts = self.path.split("?")[0].split("/")
        api_id, stage_name = parts[-3], unquote(parts[-1])
        stage = self.apigatewayv2_backend.get_stage(api_id, stage_name)
        update_stage_model(stage, json.loads(self.body or b"{}"))
        return 200, {}, json.dumps(stage.to_json())

    def delete_access_log_settings(self):
        parts = self.path.split("?")[0].split("/")
        api_id, stage_name = parts[-4], unquote(parts[-2])
        stage = self.apigatewayv2_backend.get_stage(api_id, stage_name)
        stage.access_log_settings = None
        return 204, {}, ""

    def update_domain_name(self):
        name = unquote(self.path.split("?")[0].split("/")[-1])
        backend = self.apigatewayv2_backend
        domain = backend.get_domain_name(name)
        params = json.loads(self.body or b"{}")
        if "domainNameConfigurations" in params:
            domain.domain_name_configurations = fill(params["domainNameConfigurations"], name, backend.region_name)
        return 200, {}, json.dumps(domain.to_json())

    response_class.update_stage = update_stage
    response_class.delete_access_log_settings = delete_access_log_settings
    response_class.update_domain_name = update_domain_name

    original_create = models.ApiGatewayV2Backend.create_domain_name

    def create_domain_name(self, domain_name, domain_name_configurations, mutual_tls_authentication, tags):
        filled = fill(domain_name_configurations, domain_name, self.region_name)
        return original_create(self, domain_name, filled, mutual_tls_authentication, tags)

    def delete_domain_name(self, domain_name):
        if domain_name not in self.domain_names:
            raise DomainNameNotFound
        for mapping_id in [m for m, v in self.api_mappings.items() if v.domain_name == domain_name]:
            del self.api_mappings[mapping_id]
        del self.domain_names[domain_name]

    original_mapping = models.ApiGatewayV2Backend.create_api_mapping

    def create_api_mapping(self, api_id, api_mapping_key, domain_name, stage):
        if api_id in self.apis:
            return original_mapping(self, api_id, api_mapping_key, domain_name, stage)
        rest = apigateway_backends[self.account_id][self.region_name].apis.get(api_id)
        if rest is None:
            return original_mapping(self, api_id, api_mapping_key, domain_name, stage)
        if stage not in rest.stages:
            raise ApiNotFound("The resource specified in the request was not found.")
        if domain_name not in self.domain_names:
            raise DomainNameNotFound
        mapping_id = self._generate_api_maping_id(api_mapping_key=api_mapping_key, stage=stage, domain_name=domain_name)
        mapping = models.ApiMapping(domain_name=domain_name, api_id=api_id, api_mapping_key=api_mapping_key,
                                    api_mapping_id=mapping_id, stage=stage)
        self.api_mappings[mapping_id] = mapping
        return mapping

    models.ApiGatewayV2Backend.create_domain_name = create_domain_name
    models.ApiGatewayV2Backend.delete_domain_name = delete_domain_name
    models.ApiGatewayV2Backend.create_api_mapping = create_api_mapping
