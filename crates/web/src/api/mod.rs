//! The JSON API under `/api/v1`, documented by the OpenAPI document generated from these
//! handlers (`/api/v1/openapi.json`).

mod adaptations;
mod assessments;
pub(crate) mod attachments;
pub(crate) mod audit;
mod calls;
pub(crate) mod cases;
mod designations;
pub(crate) mod dto;
mod evidence;
pub(crate) mod matrices;
mod me;
mod notifications;
pub(crate) mod obligations;
mod organisations;
mod passkeys;
mod persons;
mod posts;
mod registers;
mod reviews;
pub(crate) mod rollup;
mod row_roles;
mod secrets;
mod session;
pub(crate) mod tokens;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::Failure;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "mamori API",
        description = "情報保証の手続を運用する mamori の API。Errors are `{\"error\":{\"code\",\"message\",\"fields\"?}}`; \
                       messages follow the `mamori_lang` cookie or `Accept-Language` (Japanese by default)."
    ),
    tags(
        (name = "session", description = "ログイン・ログアウト"),
        (name = "me", description = "自分のアカウント"),
        (name = "organisations", description = "組織"),
        (name = "persons", description = "職員・アカウント"),
        (name = "posts", description = "役職"),
        (name = "designations", description = "指定"),
        (name = "audit", description = "証跡"),
        (name = "cases", description = "手続・案件・受信箱・添付ファイル"),
        (name = "registers", description = "台帳"),
        (name = "assessments", description = "点検・監査"),
        (name = "dsg", description = "防衛セキュリティゲートウェイ: 加入のスケジュールと拠点一覧"),
    )
)]
struct ApiDoc;

/// Every API route with its documentation.
pub fn router() -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::new()
        .routes(routes!(session::create_session, session::delete_session))
        .routes(routes!(me::get_me))
        .routes(routes!(me::change_my_password))
        .routes(routes!(passkeys::start_passkey_login))
        .routes(routes!(passkeys::finish_passkey_login))
        .routes(routes!(passkeys::list_my_passkeys))
        .routes(routes!(passkeys::start_passkey_registration))
        .routes(routes!(passkeys::finish_passkey_registration))
        .routes(routes!(passkeys::remove_my_passkey))
        .routes(routes!(passkeys::list_person_passkeys))
        .routes(routes!(passkeys::remove_person_passkey))
        .routes(routes!(tokens::list_my_tokens, tokens::create_my_token))
        .routes(routes!(tokens::revoke_my_token))
        .routes(routes!(tokens::list_person_tokens))
        .routes(routes!(tokens::revoke_person_token))
        .routes(routes!(
            organisations::list_organisations,
            organisations::create_organisation
        ))
        .routes(routes!(
            organisations::get_organisation,
            organisations::update_organisation,
            organisations::delete_organisation
        ))
        .routes(routes!(
            organisations::list_relations,
            organisations::create_relation
        ))
        .routes(routes!(organisations::delete_relation))
        .routes(routes!(organisations::accept_relation))
        .routes(routes!(persons::list_persons, persons::create_person))
        .routes(routes!(persons::get_person, persons::update_person))
        .routes(routes!(persons::reset_person_password))
        .routes(routes!(persons::reset_person_totp))
        .routes(routes!(posts::list_posts, posts::create_post))
        .routes(routes!(posts::get_post, posts::update_post))
        .routes(routes!(posts::create_post_holder))
        .routes(routes!(
            designations::list_designations,
            designations::create_designation
        ))
        .routes(routes!(designations::get_designation))
        .routes(routes!(designations::end_designation))
        .routes(routes!(designations::delegate_designation))
        .routes(routes!(audit::list_audit))
        .routes(routes!(audit::export_audit_csv))
        .routes(routes!(cases::list_libraries))
        .routes(routes!(
            assessments::list_assessments,
            assessments::create_assessment
        ))
        .routes(routes!(assessments::get_assessment))
        .routes(routes!(assessments::answer_assessment))
        .routes(routes!(assessments::submit_assessment))
        .routes(routes!(assessments::list_findings))
        .routes(routes!(evidence::list_evidence))
        .routes(routes!(evidence::get_evidence))
        .routes(routes!(evidence::link_evidence))
        .routes(routes!(
            adaptations::get_adaptation,
            adaptations::put_adaptation,
            adaptations::delete_adaptation
        ))
        .routes(routes!(cases::list_cases, cases::create_case))
        .routes(routes!(cases::get_case, cases::update_case))
        .routes(routes!(cases::act_on_case))
        .routes(routes!(
            cases::get_case_hold,
            cases::hold_case,
            cases::release_case
        ))
        .routes(routes!(cases::get_case_document))
        .routes(routes!(calls::get_calls))
        .routes(routes!(crate::rulebooks::dsg::api::get_schedule))
        .routes(routes!(crate::rulebooks::dsg::api::get_schedule_file))
        .routes(routes!(crate::rulebooks::dsg::api::get_sites))
        .routes(routes!(cases::get_inbox))
        .routes(routes!(obligations::list_obligations))
        .routes(routes!(obligations::get_compliance_board))
        .routes(routes!(obligations::export_compliance_board))
        .routes(routes!(rollup::get_rollup))
        .routes(routes!(notifications::list_notifications))
        .routes(routes!(reviews::list_overrides))
        .routes(routes!(reviews::list_emergencies))
        .routes(routes!(reviews::ratify_emergency))
        .routes(routes!(secrets::reveal_secret))
        .routes(routes!(secrets::receive_secret))
        .routes(routes!(
            registers::list_register_rows,
            registers::add_register_row
        ))
        .routes(routes!(
            registers::get_register_row,
            registers::edit_register_row
        ))
        .routes(routes!(matrices::list_matrices))
        .routes(routes!(matrices::get_matrix))
        .routes(routes!(matrices::get_matrix_row))
        .routes(routes!(matrices::correct_matrix_row))
        .routes(routes!(registers::retire_register_row))
        .routes(routes!(
            registers::hold_register_row,
            registers::release_register_row
        ))
        .routes(routes!(
            row_roles::list_row_roles,
            row_roles::designate_for_row
        ))
        .routes(routes!(row_roles::end_row_role))
        .routes(routes!(registers::export_register))
        .routes(routes!(registers::get_register_document))
        .routes(routes!(registers::export_register_sealed))
        .routes(routes!(
            attachments::get_attachment,
            attachments::withdraw_attachment
        ))
        .routes(routes!(attachments::export_case_bundle))
        // Files are limited by the installation's setting while they are read.
        .merge(
            OpenApiRouter::new()
                .routes(routes!(attachments::add_attachment))
                .routes(routes!(registers::import_register))
                .routes(routes!(persons::import_persons))
                .routes(routes!(evidence::add_evidence))
                .layer(DefaultBodyLimit::disable()),
        );
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", v1)
}

/// 201 Created with the new resource's id and location.
fn created(location: String, id: uuid::Uuid) -> Response {
    let mut res = (
        axum::http::StatusCode::CREATED,
        axum::Json(dto::Created { id }),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// Handlers' result type.
pub(crate) type ApiResult<T> = Result<T, Failure>;
