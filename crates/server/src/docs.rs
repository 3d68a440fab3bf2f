//! `/api/openapi.json` (generated from the handlers) and `/api/docs`, a page rendered on
//! the server from the same description: no script, nothing from a CDN.

use crate::api::ApiDoc;
use crate::problem::problem;
use axum::http::{header, Uri};
use axum::response::{Html, IntoResponse, Response};
use utoipa::OpenApi;
use zhishen_report::html::esc;

pub async fn openapi_json() -> Response {
    let json = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/json")], json).into_response()
}

pub async fn docs_page() -> Html<String> {
    let doc = ApiDoc::openapi();
    let mut rows = String::new();
    for (path, item) in &doc.paths.paths {
        let ops = [
            ("GET", item.get.as_ref()),
            ("POST", item.post.as_ref()),
            ("PUT", item.put.as_ref()),
            ("DELETE", item.delete.as_ref()),
            ("PATCH", item.patch.as_ref()),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let summary = op
                .summary
                .clone()
                .or_else(|| op.description.clone())
                .unwrap_or_default();
            let codes: Vec<String> = op.responses.responses.keys().cloned().collect();
            rows.push_str(&format!(
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
                method,
                esc(path),
                esc(&summary),
                esc(&codes.join(", "))
            ));
        }
    }
    Html(format!(
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>智审 API 文档 · API docs</title></head><body>\
         <h1>智审 zhishen API</h1><p>{}</p>\
         <p>机器可读描述 Machine-readable description: <a href=\"/api/openapi.json\">/api/openapi.json</a> (OpenAPI {})</p>\
         <table><thead><tr><th>方法 Method</th><th>路径 Path</th><th>说明 Summary</th><th>状态码 Responses</th></tr></thead>\
         <tbody>\n{rows}</tbody></table></body></html>\n",
        esc(doc.info.description.as_deref().unwrap_or_default()),
        esc(serde_json::to_value(&doc.openapi)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .as_deref()
            .unwrap_or("3.1")),
    ))
}

pub async fn not_found(uri: Uri) -> Response {
    problem(
        404,
        "urn:zhishen:not_found",
        "未找到 Not found",
        format!("no route for {}", uri.path()),
    )
}
