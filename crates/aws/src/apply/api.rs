//! The API steps: the API created (or found again after a lost answer), renamed, its CORS configuration, the
//! whole definition imported or reimported, the API deleted.

use jwtstack_core::config::Stack;
use jwtstack_core::plan::{ApiInfo, ApiStep};

use super::{Effect, Made};
use crate::retry::{create_once, when_busy};
use crate::{AwsError, Clients, apigw};

pub(super) async fn run(c: &Clients, stack: &Stack, step: &ApiStep, made: &Made) -> Result<Effect, AwsError> {
    let name = &stack.name;
    let issuer = stack.issuer_url(&c.region);
    match step {
        ApiStep::Create { name: api_name } => {
            let api = create_once(api_name, || apigw::create_api(c, api_name, name), || apigw::find_owned_api(c, name)).await?;
            return Ok(Effect::Api {
                id: api.id,
                endpoint: api.endpoint,
            });
        }
        ApiStep::Rename { id, after, .. } => when_busy(|| apigw::rename_api(c, id, after)).await?,
        ApiStep::EnableExecuteApiEndpoint { id } => when_busy(|| apigw::enable_execute_api_endpoint(c, id)).await?,
        ApiStep::UpdateCors { api, after, .. } => {
            let api = made.api(api)?;
            when_busy(|| apigw::update_cors(c, &api, after.as_ref())).await?
        }
        ApiStep::Import {
            id: None,
            name: api_name,
            definition,
            ..
        } => {
            let api = create_once(
                api_name,
                || apigw::import_api(c, api_name, definition, &issuer),
                || apigw::find_owned_api(c, name),
            )
            .await?;
            return imported(c, stack, api).await;
        }
        ApiStep::Import {
            id: Some(id), definition, ..
        } => {
            let api = when_busy(|| apigw::reimport_api(c, id, definition, &issuer)).await?;
            return imported(c, stack, api).await;
        }
        ApiStep::Delete { id, .. } => when_busy(|| apigw::delete_api(c, id)).await?,
    }
    Ok(Effect::None)
}

/// After an import: the API, and the id of the authorizer the definition made (the outputs name it).
async fn imported(c: &Clients, stack: &Stack, api: ApiInfo) -> Result<Effect, AwsError> {
    let authorizer = apigw::find_authorizer(c, &api.id, &stack.authorizer_name()).await?;
    Ok(Effect::Imported {
        id: api.id,
        endpoint: api.endpoint,
        authorizer: authorizer.map(|a| a.id),
    })
}
