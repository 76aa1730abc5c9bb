//! What the SDK's typed errors say, operation by operation: each operation's model lists the errors it
//! returns, and the SDK gives each a variant with a predicate (`is_parameter_not_found`). The table below
//! reads those predicates; an operation without its line here does not compile where its errors are
//! classified. Codes no operation models (throttling, access denied, most of S3's) are read in `error`.

use crate::ErrorKind;

/// The kind of failure an operation's modelled error variant means (`None`: not one of its modelled ones).
pub(crate) trait Modelled {
    fn modelled(&self) -> Option<ErrorKind>;
}

/// `Error { predicate => Kind, ... }`: each operation's modelled variants that jwtstack tells apart.
macro_rules! modelled {
    ($($error:ty { $($predicate:ident => $kind:ident),* $(,)? })*) => {$(
        impl Modelled for $error {
            fn modelled(&self) -> Option<ErrorKind> {
                $(if self.$predicate() {
                    return Some(ErrorKind::$kind);
                })*
                None
            }
        }
    )*};
}

modelled! {
    // acm
    aws_sdk_acm::operation::describe_certificate::DescribeCertificateError { is_resource_not_found_exception => NotFound }
    // apigateway (REST APIs)
    aws_sdk_apigateway::operation::create_authorizer::CreateAuthorizerError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::create_deployment::CreateDeploymentError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::create_stage::CreateStageError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::delete_authorizer::DeleteAuthorizerError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::delete_stage::DeleteStageError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::get_account::GetAccountError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::update_stage::UpdateStageError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::get_deployments::GetDeploymentsError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::get_rest_api::GetRestApiError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::create_resource::CreateResourceError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::create_rest_api::CreateRestApiError { is_conflict_exception => Conflict, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::delete_integration::DeleteIntegrationError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::delete_method::DeleteMethodError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::delete_resource::DeleteResourceError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::delete_rest_api::DeleteRestApiError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::get_authorizers::GetAuthorizersError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::get_deployment::GetDeploymentError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::get_resources::GetResourcesError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::get_rest_apis::GetRestApisError { is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::get_stage::GetStageError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::put_integration::PutIntegrationError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::put_method::PutMethodError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::update_authorizer::UpdateAuthorizerError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::update_method::UpdateMethodError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigateway::operation::update_rest_api::UpdateRestApiError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    // apigatewayv2
    aws_sdk_apigatewayv2::operation::create_api::CreateApiError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::create_api_mapping::CreateApiMappingError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::create_authorizer::CreateAuthorizerError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::create_domain_name::CreateDomainNameError { is_access_denied_exception => AccessDenied, is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::create_integration::CreateIntegrationError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::create_route::CreateRouteError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::create_stage::CreateStageError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::delete_access_log_settings::DeleteAccessLogSettingsError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::delete_api::DeleteApiError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::delete_api_mapping::DeleteApiMappingError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::delete_authorizer::DeleteAuthorizerError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::delete_cors_configuration::DeleteCorsConfigurationError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::delete_domain_name::DeleteDomainNameError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::delete_integration::DeleteIntegrationError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::delete_route::DeleteRouteError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::delete_stage::DeleteStageError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::get_api::GetApiError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::get_api_mappings::GetApiMappingsError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::get_apis::GetApisError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::get_authorizers::GetAuthorizersError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::get_domain_names::GetDomainNamesError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::get_integrations::GetIntegrationsError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::get_routes::GetRoutesError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::get_stage::GetStageError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::get_stages::GetStagesError { is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::import_api::ImportApiError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::reimport_api::ReimportApiError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::update_api::UpdateApiError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::update_authorizer::UpdateAuthorizerError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::update_domain_name::UpdateDomainNameError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::update_route::UpdateRouteError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_apigatewayv2::operation::update_stage::UpdateStageError { is_conflict_exception => Conflict, is_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    // cloudfront
    aws_sdk_cloudfront::operation::create_distribution_with_tags::CreateDistributionWithTagsError { is_access_denied => AccessDenied, is_distribution_already_exists => Conflict }
    aws_sdk_cloudfront::operation::create_invalidation::CreateInvalidationError { is_access_denied => AccessDenied, is_no_such_distribution => NotFound }
    aws_sdk_cloudfront::operation::create_origin_access_control::CreateOriginAccessControlError { is_origin_access_control_already_exists => Conflict }
    aws_sdk_cloudfront::operation::delete_distribution::DeleteDistributionError { is_access_denied => AccessDenied, is_no_such_distribution => NotFound, is_precondition_failed => Busy }
    aws_sdk_cloudfront::operation::delete_origin_access_control::DeleteOriginAccessControlError { is_access_denied => AccessDenied, is_no_such_origin_access_control => NotFound, is_precondition_failed => Busy }
    aws_sdk_cloudfront::operation::get_distribution::GetDistributionError { is_access_denied => AccessDenied, is_no_such_distribution => NotFound }
    aws_sdk_cloudfront::operation::get_distribution_config::GetDistributionConfigError { is_access_denied => AccessDenied, is_no_such_distribution => NotFound }
    aws_sdk_cloudfront::operation::get_invalidation::GetInvalidationError { is_access_denied => AccessDenied, is_no_such_distribution => NotFound, is_no_such_invalidation => NotFound }
    aws_sdk_cloudfront::operation::get_origin_access_control::GetOriginAccessControlError { is_access_denied => AccessDenied, is_no_such_origin_access_control => NotFound }
    aws_sdk_cloudfront::operation::list_distributions::ListDistributionsError {  }
    aws_sdk_cloudfront::operation::list_origin_access_controls::ListOriginAccessControlsError {  }
    aws_sdk_cloudfront::operation::list_tags_for_resource::ListTagsForResourceError { is_access_denied => AccessDenied }
    aws_sdk_cloudfront::operation::update_distribution::UpdateDistributionError { is_access_denied => AccessDenied, is_no_such_distribution => NotFound, is_precondition_failed => Busy }
    // cloudwatchlogs
    aws_sdk_cloudwatchlogs::operation::create_log_group::CreateLogGroupError {  }
    aws_sdk_cloudwatchlogs::operation::delete_log_group::DeleteLogGroupError { is_resource_not_found_exception => NotFound }
    aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsError {  }
    aws_sdk_cloudwatchlogs::operation::filter_log_events::FilterLogEventsError { is_resource_not_found_exception => NotFound }
    aws_sdk_cloudwatchlogs::operation::list_tags_for_resource::ListTagsForResourceError { is_resource_not_found_exception => NotFound }
    aws_sdk_cloudwatchlogs::operation::put_retention_policy::PutRetentionPolicyError { is_resource_not_found_exception => NotFound }
    // iam
    aws_sdk_iam::operation::create_role::CreateRoleError { is_entity_already_exists_exception => Conflict }
    aws_sdk_iam::operation::delete_role::DeleteRoleError { is_no_such_entity_exception => NotFound, is_concurrent_modification_exception => Busy }
    aws_sdk_iam::operation::delete_role_policy::DeleteRolePolicyError { is_no_such_entity_exception => NotFound }
    aws_sdk_iam::operation::get_role::GetRoleError { is_no_such_entity_exception => NotFound }
    aws_sdk_iam::operation::get_role_policy::GetRolePolicyError { is_no_such_entity_exception => NotFound }
    aws_sdk_iam::operation::delete_role_permissions_boundary::DeleteRolePermissionsBoundaryError { is_no_such_entity_exception => NotFound }
    aws_sdk_iam::operation::put_role_permissions_boundary::PutRolePermissionsBoundaryError { is_no_such_entity_exception => NotFound }
    aws_sdk_iam::operation::put_role_policy::PutRolePolicyError { is_no_such_entity_exception => NotFound }
    aws_sdk_iam::operation::update_assume_role_policy::UpdateAssumeRolePolicyError { is_no_such_entity_exception => NotFound }
    // kms
    aws_sdk_kms::operation::create_alias::CreateAliasError { is_already_exists_exception => Conflict, is_not_found_exception => NotFound }
    aws_sdk_kms::operation::create_key::CreateKeyError {  }
    aws_sdk_kms::operation::delete_alias::DeleteAliasError { is_not_found_exception => NotFound }
    aws_sdk_kms::operation::describe_key::DescribeKeyError { is_not_found_exception => NotFound }
    aws_sdk_kms::operation::get_public_key::GetPublicKeyError { is_not_found_exception => NotFound }
    aws_sdk_kms::operation::list_aliases::ListAliasesError { is_not_found_exception => NotFound }
    aws_sdk_kms::operation::list_keys::ListKeysError {  }
    aws_sdk_kms::operation::list_resource_tags::ListResourceTagsError { is_not_found_exception => NotFound }
    aws_sdk_kms::operation::schedule_key_deletion::ScheduleKeyDeletionError { is_not_found_exception => NotFound }
    // lambda
    aws_sdk_lambda::operation::add_permission::AddPermissionError { is_resource_conflict_exception => Conflict, is_resource_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_lambda::operation::create_function::CreateFunctionError { is_resource_conflict_exception => Conflict, is_too_many_requests_exception => Throttled }
    aws_sdk_lambda::operation::delete_function::DeleteFunctionError { is_resource_not_found_exception => NotFound, is_resource_conflict_exception => Busy, is_too_many_requests_exception => Throttled }
    aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationError { is_resource_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_lambda::operation::update_function_code::UpdateFunctionCodeError { is_resource_not_found_exception => NotFound, is_resource_conflict_exception => Busy, is_too_many_requests_exception => Throttled }
    aws_sdk_lambda::operation::update_function_configuration::UpdateFunctionConfigurationError { is_resource_not_found_exception => NotFound, is_resource_conflict_exception => Busy, is_too_many_requests_exception => Throttled }
    aws_sdk_lambda::operation::get_function::GetFunctionError { is_resource_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_lambda::operation::list_tags::ListTagsError { is_resource_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_lambda::operation::get_policy::GetPolicyError { is_resource_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    aws_sdk_lambda::operation::remove_permission::RemovePermissionError { is_resource_not_found_exception => NotFound, is_too_many_requests_exception => Throttled }
    // route53
    aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsError {  }
    aws_sdk_route53::operation::list_resource_record_sets::ListResourceRecordSetsError {  }
    aws_sdk_route53::operation::get_hosted_zone::GetHostedZoneError {  }
    // s3
    aws_sdk_s3::operation::create_bucket::CreateBucketError { is_bucket_already_exists => Conflict, is_bucket_already_owned_by_you => Conflict }
    aws_sdk_s3::operation::delete_bucket::DeleteBucketError {  }
    aws_sdk_s3::operation::delete_bucket_policy::DeleteBucketPolicyError {  }
    aws_sdk_s3::operation::delete_object::DeleteObjectError {  }
    aws_sdk_s3::operation::get_bucket_location::GetBucketLocationError {  }
    aws_sdk_s3::operation::get_bucket_policy::GetBucketPolicyError {  }
    aws_sdk_s3::operation::get_bucket_tagging::GetBucketTaggingError {  }
    aws_sdk_s3::operation::get_object::GetObjectError { is_no_such_key => NotFound }
    aws_sdk_s3::operation::get_public_access_block::GetPublicAccessBlockError {  }
    aws_sdk_s3::operation::head_bucket::HeadBucketError { is_not_found => NotFound }
    aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Error { is_no_such_bucket => NotFound }
    aws_sdk_s3::operation::put_bucket_policy::PutBucketPolicyError {  }
    aws_sdk_s3::operation::put_bucket_tagging::PutBucketTaggingError {  }
    aws_sdk_s3::operation::put_object::PutObjectError {  }
    aws_sdk_s3::operation::put_public_access_block::PutPublicAccessBlockError {  }
    // s3control
    aws_sdk_s3control::operation::get_public_access_block::GetPublicAccessBlockError { is_no_such_public_access_block_configuration => NotFound }
    // ssm
    aws_sdk_ssm::operation::add_tags_to_resource::AddTagsToResourceError {  }
    aws_sdk_ssm::operation::delete_parameter::DeleteParameterError { is_parameter_not_found => NotFound }
    aws_sdk_ssm::operation::get_parameter::GetParameterError { is_parameter_not_found => NotFound }
    aws_sdk_ssm::operation::get_parameters_by_path::GetParametersByPathError {  }
    aws_sdk_ssm::operation::list_tags_for_resource::ListTagsForResourceError { is_invalid_resource_id => NotFound }
    aws_sdk_ssm::operation::put_parameter::PutParameterError { is_parameter_already_exists => Conflict, is_too_many_updates => Throttled }
    // sts
    aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError {  }
}
