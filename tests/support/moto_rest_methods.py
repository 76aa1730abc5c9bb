"""REST API (API Gateway v1) methods and resources as AWS answers them, where moto 5.2.5 differs. Installed by
`moto_server.py`; `test_moto_rest_methods.py` tests it through boto3.

- UpdateMethod: moto has none (PATCH .../methods/{httpMethod} answers that the action is not implemented). AWS's
  API Reference (UpdateMethod, PatchOperation) takes patch operations on the method's members; the paths handled
  here are the ones the Terraform AWS provider sends (internal/service/apigateway/method.go, resourceMethodUpdate;
  flex.go, expandMethodParametersOperations): `replace /authorizationType`, `replace /authorizerId` (an empty
  value clears it), `add` / `remove /authorizationScopes` with the scope as the value, `add` / `replace` /
  `remove /requestParameters/{name}` with "true" or "false", `replace /operationName`, `replace /apiKeyRequired`.
  Any other path is refused with BadRequestException, as AWS refuses a path it does not know ("Invalid patch path").
  A method that does not exist is NotFoundException "Invalid Method identifier specified" (AWS's words, the
  GetMethod answer moto already gives).
- PutMethod of a method that exists: AWS answers 409 ConflictException "Method already exists for this resource"
  (aws/aws-cli#3992, reproduced by an AWS maintainer; pulumi/pulumi-aws#1085); moto replaces the method silently.
- PutIntegration whose requestParameters map a method request parameter the method does not declare: AWS answers
  BadRequestException "Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid
  mapping expression parameter specified: method.request.path.page]" (aws/aws-cdk#17318); moto keeps it.
- CreateResource of a path part a sibling already has: AWS answers ConflictException "Another resource with the
  same parent already has this name: {part}"; of a second variable path part under one parent, BadRequestException
  "A sibling ({part}) of this resource already has a variable path part -- only one is allowed" (the messages
  SAM and Terraform users report: aws/serverless-application-model#1860, hashicorp/terraform-provider-aws#5364);
  moto makes both.
- DeleteAuthorizer of an authorizer a method still uses: AWS answers 409 ConflictException "Cannot delete
  authorizer '{name}', is referenced in method: GET//test" (hashicorp/terraform#6731, an acceptance test's output;
  hashicorp/terraform-provider-aws#14812, from CloudTrail); moto deletes it.
- UpdateStage turning a stage's access log on where the account has no CloudWatch Logs role (GetAccount's
  `cloudwatchRoleArn`, an account setting per region): AWS answers BadRequestException "CloudWatch Logs role ARN
  must be set in account settings to enable logging" (Miserlou/Zappa#1946, the UpdateStage call; anomalyco/sst#1556;
  the Developer Guide's "Set up CloudWatch logging for REST APIs in API Gateway", permissions); moto sets it.
- CreateDeployment of a PRIVATE API without a resource policy: AWS answers BadRequestException "Private REST API
  doesn't have a resource policy attached to it" (hashicorp/terraform-provider-aws#14290,
  aws/serverless-application-model#3764); moto deploys it.
- A REST API's resource policy, as AWS keeps and answers it: `execute-api:/...` written out as the API's own ARN
  (`arn:aws:execute-api:{region}:{account}:{api-id}/...`, what drift tools compare against: cdk-real-drift#721),
  and the policy answered with its quotes escaped (the Terraform AWS provider reads it back with
  `strconv.Unquote`, internal/service/apigateway/rest_api.go); moto answers it as it was sent.
"""

import json

from moto.apigateway import models
from moto.apigateway.exceptions import BadRequestException, ConflictException, NotFoundException
from moto.apigateway.responses import APIGatewayResponse

_installed = False


def _method_of(backend, api_id, resource_id, http_method):
    resource = backend.get_resource(api_id, resource_id)
    method = resource.resource_methods.get(http_method)
    if method is None:
        raise NotFoundException("Invalid Method identifier specified")
    return method


def _apply(method, ops):
    """The patch operations on a method, all checked before any is applied (AWS applies a patch whole or not)."""
    changes = []
    for op in ops:
        kind, path, value = op.get("op"), op.get("path", ""), op.get("value")
        if path == "/authorizationType" and kind == "replace":
            changes.append(lambda m, v=value: setattr(m, "authorization_type", v))
        elif path == "/authorizerId" and kind == "replace":
            changes.append(lambda m, v=value: setattr(m, "authorizer_id", v or None))
        elif path == "/authorizationScopes" and kind in ("add", "remove"):
            if not value:
                raise BadRequestException("Invalid patch operation specified: a scope is required as the value")

            def scope(m, k=kind, v=value):
                scopes = list(m.authorization_scopes or [])
                if k == "add" and v not in scopes:
                    scopes.append(v)
                if k == "remove" and v in scopes:
                    scopes.remove(v)
                m.authorization_scopes = scopes or None
            changes.append(scope)
        elif path.startswith("/requestParameters/") and kind in ("add", "replace", "remove"):
            name = path[len("/requestParameters/"):]
            if kind != "remove" and value not in ("true", "false"):
                raise BadRequestException("Invalid patch operation specified: the value must be true or false")

            def parameter(m, k=kind, n=name, v=value):
                params = dict(m.request_parameters or {})
                if k == "remove":
                    params.pop(n, None)
                else:
                    params[n] = v == "true"
                m.request_parameters = params or None
            changes.append(parameter)
        elif path == "/operationName" and kind == "replace":
            changes.append(lambda m, v=value: setattr(m, "operation_name", v))
        elif path == "/apiKeyRequired" and kind == "replace":
            changes.append(lambda m, v=value: setattr(m, "api_key_required", v == "true"))
        else:
            raise BadRequestException("Invalid patch path '%s' specified for op '%s'" % (path, kind))
    for change in changes:
        change(method)


def install():
    global _installed
    if _installed:
        return
    _installed = True
    moto_put_method = APIGatewayResponse.put_method
    moto_put_integration = models.APIGatewayBackend.put_integration
    moto_create_resource = models.APIGatewayBackend.create_resource
    moto_delete_authorizer = models.APIGatewayBackend.delete_authorizer
    moto_update_stage = models.APIGatewayBackend.update_stage
    moto_create_deployment = models.APIGatewayBackend.create_deployment
    moto_create_rest_api = models.APIGatewayBackend.create_rest_api
    moto_update_rest_api = models.APIGatewayBackend.update_rest_api

    def update_method(self):
        parts = self.path.split("/")
        api_id, resource_id, http_method = parts[2], parts[4], parts[6]
        method = _method_of(self.backend, api_id, resource_id, http_method)
        ops = self._get_param("patchOperations") or []
        _apply(method, ops)
        return 200, {}, json.dumps(method.to_json())

    def put_method(self):
        parts = self.path.split("/")
        resource = self.backend.get_resource(parts[2], parts[4])
        if parts[6] in resource.resource_methods:
            raise ConflictException("Method already exists for this resource")
        return moto_put_method(self)

    def put_integration(self, function_id, resource_id, method_type, integration_type, uri, *args, **kwargs):
        method = _method_of(self, function_id, resource_id, method_type)
        declared = method.request_parameters or {}
        mapped = kwargs.get("request_parameters") or {}
        for source in mapped.values():
            if isinstance(source, str) and source.startswith("method.request.") and source not in declared:
                raise BadRequestException(
                    "Invalid mapping expression specified: Validation Result: warnings : [], errors : "
                    "[Invalid mapping expression parameter specified: %s]" % source)
        return moto_put_integration(self, function_id, resource_id, method_type, integration_type, uri, *args, **kwargs)

    def create_resource(self, function_id, parent_resource_id, path_part):
        api = self.get_rest_api(function_id)
        if path_part:
            siblings = [r for r in api.resources.values() if r.parent_id == parent_resource_id]
            if any(r.path_part == path_part for r in siblings):
                raise ConflictException("Another resource with the same parent already has this name: %s" % path_part)
            if path_part.startswith("{"):
                variable = next((r for r in siblings if (r.path_part or "").startswith("{")), None)
                if variable is not None:
                    raise BadRequestException(
                        "A sibling (%s) of this resource already has a variable path part -- only one is allowed"
                        % variable.path_part)
        return moto_create_resource(self, function_id, parent_resource_id, path_part)

    def delete_authorizer(self, restapi_id, authorizer_id):
        api = self.get_rest_api(restapi_id)
        authorizer = api.authorizers.get(authorizer_id)
        for resource in api.resources.values():
            for verb, method in sorted(resource.resource_methods.items()):
                if authorizer is not None and method.authorizer_id == authorizer_id:
                    raise ConflictException(
                        "Cannot delete authorizer '%s', is referenced in method: %s/%s"
                        % (authorizer.name, verb, resource.get_path()))
        return moto_delete_authorizer(self, restapi_id, authorizer_id)

    def update_stage(self, function_id, stage_name, patch_operations):
        logs = any(op.get("op") == "replace" and op.get("path", "").startswith("/accessLogSettings/")
                   for op in patch_operations or [])
        if logs and not self.account.cloudwatch_role_arn:
            raise BadRequestException("CloudWatch Logs role ARN must be set in account settings to enable logging")
        return moto_update_stage(self, function_id, stage_name, patch_operations)

    def create_deployment(self, function_id, name, description="", stage_variables=None):
        api = self.get_rest_api(function_id)
        private = "PRIVATE" in ((api.endpoint_configuration or {}).get("types") or [])
        if private and not api.policy:
            raise BadRequestException("Private REST API doesn't have a resource policy attached to it")
        return moto_create_deployment(self, function_id, name, description, stage_variables)

    def as_aws_keeps(backend, api):
        if api.policy and not api.policy.startswith('{\\"'):
            arn = "arn:aws:execute-api:%s:%s:%s/" % (backend.region_name, backend.account_id, api.id)
            api.policy = api.policy.replace("execute-api:/", arn).replace('"', '\\"')
        return api

    def create_rest_api(self, *args, **kwargs):
        return as_aws_keeps(self, moto_create_rest_api(self, *args, **kwargs))

    def update_rest_api(self, function_id, patch_operations):
        return as_aws_keeps(self, moto_update_rest_api(self, function_id, patch_operations))

    APIGatewayResponse.update_method = update_method
    APIGatewayResponse.put_method = put_method
    models.APIGatewayBackend.put_integration = put_integration
    models.APIGatewayBackend.create_resource = create_resource
    models.APIGatewayBackend.delete_authorizer = delete_authorizer
    models.APIGatewayBackend.update_stage = update_stage
    models.APIGatewayBackend.create_deployment = create_deployment
    models.APIGatewayBackend.create_rest_api = create_rest_api
    models.APIGatewayBackend.update_rest_api = update_rest_api
