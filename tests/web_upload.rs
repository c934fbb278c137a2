//! Uploads over HTTP on 127.0.0.1 (issue 20 item 2): `POST /api/documents` with an API
//! token made by the real binary, raw and multipart bodies, 401 without a good token, the
//! size limit, and a reviewer's session with its CSRF token.

mod web_common;

use std::path::PathBuf;
use std::process::Command;

use po_intake::domain::SourceKind;
use po_intake::store::Store;
use serde_json::{json, Value};
use web_common::PASSWORD;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `po-intake token add NAME` through the binary: the token is the one line on stdout.
fn make_token(data: &std::path::Path, name: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_po-intake"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--data-dir")
        .arg(data)
        .args(["token", "add", name])
        .output()
        .expect("run token add");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    lines[0].trim().to_string()
}

/// A server on 127.0.0.1 with the fixture data and the given file-size limit.
async fn start(max_file_bytes: Option<u64>) -> web_common::Env {
    web_common::start_with(|cfg| {
        if let Some(m) = max_file_bytes {
            cfg.limits.max_file_bytes = m;
        }
    })
    .await
}

/// POST `body` to `url`, with an Authorization header and a content type when given.
async fn send(
    url: &str,
    auth: Option<&str>,
    ctype: Option<&str>,
    body: Vec<u8>,
) -> reqwest::Response {
    let mut req = reqwest::Client::new().post(url).body(body);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    if let Some(c) = ctype {
        req = req.header("content-type", c);
    }
    req.send().await.expect("post")
}

fn bearer(token: &str) -> Option<String> {
    Some(format!("Bearer {token}"))
}

fn document_count(data: &std::path::Path) -> i64 {
    let store = Store::open(data).expect("store");
    store
        .document_counts()
        .expect("count")
        .iter()
        .map(|(_, n)| n)
        .sum()
}

/// A multipart/form-data body of file parts named `file`: (content type, body).
fn multipart(files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "po-intake-test-boundary-7d1f";
    let mut body = Vec::new();
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn session_cookie(h: &reqwest::header::HeaderMap) -> Option<String> {
    h.get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|kv| kv.starts_with("po_session="))
        .map(str::to_string)
}

async fn json_of(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let v = r.json().await.unwrap_or(Value::Null);
    (status, v)
}

#[tokio::test]
async fn uploads_need_a_good_token_and_go_through_the_pipeline() {
    let env = start(None).await;
    let (data, base) = (env.data.clone(), env.base.clone());
    let edi = std::fs::read(root().join("tests/data/edi/x12-850-three-sets.edi")).expect("edi");
    let url = format!("{base}/api/documents?name=orders.x12");
    let before = document_count(&data);

    // No token, a wrong one, another scheme: 401, nothing stored.
    let r = send(&url, None, None, edi.clone()).await;
    assert_eq!(r.status().as_u16(), 401);
    assert!(r.headers().get("www-authenticate").is_some());
    for auth in ["Bearer poi_0000", "Bearer ", "Basic YWxpY2U6cHc="] {
        let r = send(&url, Some(auth), None, edi.clone()).await;
        assert_eq!(r.status().as_u16(), 401, "{auth}");
    }
    assert_eq!(document_count(&data), before);

    let token = make_token(&data, "portal");
    // A raw body: the EDI interchange gives its two orders.
    let r = send(&url, bearer(&token).as_deref(), None, edi.clone()).await;
    let (status, v) = json_of(r).await;
    assert_eq!(status, 200, "{v}");
    let doc = &v["documents"][0];
    assert_eq!(doc["file"], "orders.x12");
    assert_eq!(doc["status"], "processed", "{doc}");
    let id = doc["document_id"].as_i64().expect("document id");
    let pos: Vec<&str> = doc["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .filter_map(|o| o["po_number"].as_str())
        .collect();
    assert_eq!(pos, vec!["PO-77001", "PO-77002"]);
    let store = Store::open(&data).expect("store");
    let stored = store.document(id).expect("document").expect("row");
    assert_eq!(stored.source, SourceKind::Upload);
    assert_eq!(stored.origin, "upload:token:portal");
    assert_eq!(store.orders_for_document(id).expect("orders").len(), 2);
    drop(store);

    // Multipart with two files: a new text PO and the same EDI again (a duplicate).
    let text = std::fs::read(root().join("fixtures/inbox/order_list.txt")).expect("txt");
    let (ctype, body) = multipart(&[("order_list.txt", &text), ("again.edi", &edi)]);
    let r = send(
        &format!("{base}/api/documents"),
        bearer(&token).as_deref(),
        Some(&ctype),
        body,
    )
    .await;
    let (status, v) = json_of(r).await;
    assert_eq!(status, 200, "{v}");
    let docs = v["documents"].as_array().expect("documents");
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0]["file"], "order_list.txt");
    assert_eq!(docs[0]["status"], "processed", "{}", docs[0]);
    assert_eq!(docs[0]["orders"][0]["po_number"], "714034");
    assert_eq!(docs[1]["status"], "duplicate");
    assert_eq!(docs[1]["document_id"].as_i64(), Some(id));

    // A replaced token stops working.
    let newer = make_token(&data, "portal");
    let r = send(&url, bearer(&token).as_deref(), None, edi.clone()).await;
    assert_eq!(r.status().as_u16(), 401);
    let r = send(&url, bearer(&newer).as_deref(), None, edi).await;
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn the_size_limit_of_the_other_sources_holds_for_uploads() {
    let env = start(Some(2_000)).await;
    let (data, base) = (env.data.clone(), env.base.clone());
    let token = make_token(&data, "script");
    let before = document_count(&data);
    // Over max_file_bytes: refused before anything is stored, like a drop-folder file.
    let r = send(
        &format!("{base}/api/documents?name=big.txt"),
        bearer(&token).as_deref(),
        None,
        vec![b'x'; 3_000],
    )
    .await;
    let (status, v) = json_of(r).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["documents"][0]["status"], "failed");
    assert!(
        v["documents"][0]["reason"]
            .as_str()
            .unwrap_or("")
            .starts_with("too_large"),
        "{v}"
    );
    assert_eq!(v["documents"][0]["document_id"], Value::Null);
    assert_eq!(document_count(&data), before);
    // A request body past the limit and its allowance is cut off: 413.
    let r = send(
        &format!("{base}/api/documents?name=huge.txt"),
        bearer(&token).as_deref(),
        None,
        vec![b'x'; 2_000 + 1024 * 1024 + 10],
    )
    .await;
    assert_eq!(r.status().as_u16(), 413);
    let huge = vec![b'x'; 2_000 + 1024 * 1024 + 10];
    let (ctype, body) = multipart(&[("huge.txt", &huge)]);
    let r = send(
        &format!("{base}/api/documents"),
        bearer(&token).as_deref(),
        Some(&ctype),
        body,
    )
    .await;
    assert_eq!(r.status().as_u16(), 413);
    assert_eq!(document_count(&data), before);
}

#[tokio::test]
async fn a_reviewer_uploads_with_the_session_and_its_csrf_token() {
    let env = start(None).await;
    let (data, base) = (env.data.clone(), env.base.clone());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = http
        .post(format!("{base}/api/login"))
        .json(&json!({"name": "alice", "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    let cookie = session_cookie(r.headers()).expect("session cookie");
    let (status, v) = json_of(r).await;
    assert_eq!(status, 200, "{v}");
    let csrf = v["csrf"].as_str().expect("csrf").to_string();
    let edi = std::fs::read(root().join("tests/data/edi/edifact-orders-d96a-two-messages.edi"))
        .expect("edi");
    let (ctype, body) = multipart(&[("bestellung.edi", &edi)]);
    // Without the CSRF token a session's POST is refused.
    let r = http
        .post(format!("{base}/api/documents"))
        .header("cookie", &cookie)
        .header("content-type", &ctype)
        .body(body.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 403);
    let r = http
        .post(format!("{base}/api/documents"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .header("content-type", &ctype)
        .body(body)
        .send()
        .await
        .expect("post");
    let (status, v) = json_of(r).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["documents"][0]["orders"].as_array().map(Vec::len),
        Some(2)
    );
    let id = v["documents"][0]["document_id"].as_i64().expect("id");
    let store = Store::open(&data).expect("store");
    let doc = store.document(id).expect("doc").expect("row");
    assert_eq!(doc.origin, "upload:user:alice");
    // The upload page itself needs a session.
    let page = http
        .get(format!("{base}/upload"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("page");
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap_or_default();
    assert!(html.contains("id=\"dropzone\""), "{html}");
    let r = http
        .get(format!("{base}/upload"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 303);
}
