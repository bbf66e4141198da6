//! `GET /openapi.json`: the demo API's own OpenAPI 3.1 document (things and lamps), so that
//! `idemfuzz init --openapi` and `idemfuzz run --openapi` can be tried against it.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::{App, methods};

/// The document, as served.
pub(crate) const DOCUMENT: &str = include_str!("openapi.json");
/// Where the demo serves it.
pub(crate) const PATH: &str = "/openapi.json";

pub(super) fn routes() -> Router<App> {
    Router::new().route(PATH, methods("GET, HEAD, OPTIONS").get(document))
}

async fn document() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        DOCUMENT,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi::{Spec, import};

    #[test]
    fn the_document_is_json_and_imports_things_and_lamps() {
        let parsed: serde_json::Value =
            serde_json::from_str(DOCUMENT).expect("the demo's OpenAPI document is JSON");
        assert_eq!(parsed["openapi"], "3.1.0");
        let generated = import(&Spec {
            origin: "openapi.json".into(),
            text: DOCUMENT.into(),
            url: Some("http://127.0.0.1:8080/openapi.json".into()),
        })
        .expect("the demo's document imports");
        assert_eq!(generated.resources, ["things", "lamps"]);
        assert!(
            generated
                .toml
                .contains("base_url = \"http://127.0.0.1:8080\""),
            "{}",
            generated.toml
        );
    }
}
