//! End to end in a real headless Chromium (Debian `chromium` + `chromium-driver`), driven
//! over the W3C WebDriver protocol with a small client on reqwest (all on 127.0.0.1).
//! If Chromium or chromedriver cannot start, these tests fail and say why.

mod web_common;

use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use po_intake::domain::OrderState;
use po_intake::oms::OmsConfig;
use po_intake::store::Store;
use serde_json::{json, Value};
use web_common::{start, Env, PASSWORD};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    child: Child,
    http: reqwest::Client,
    url: String,
    session: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Chromium is chromedriver's child: killing chromedriver alone leaves the browser
        // running after the test. Ending the session closes it first.
        self.quit_session();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

impl Driver {
    async fn start() -> Driver {
        let port = free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start chromedriver ({e}); install the Debian packages chromium and chromium-driver (scripts/setup)")
            });
        let http = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http.get(format!("{url}/status")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer on {url} within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--window-size=1600,1000",
                         format!("--user-data-dir={}", profile.path().display())]
            }
        }}});
        let r = http
            .post(format!("{url}/session"))
            .json(&caps)
            .send()
            .await
            .expect("new session request");
        let v: Value = r.json().await.expect("new session json");
        let session = v["value"]["sessionId"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| {
                panic!(
                    "Chromium could not start (is /usr/bin/chromium installed?): {}",
                    v["value"]
                )
            });
        Driver {
            child,
            http,
            url,
            session,
            _profile: profile,
        }
    }

    /// `DELETE /session/{id}` over a plain socket: `drop` cannot await the async client.
    fn quit_session(&self) {
        use std::io::{Read, Write};
        let addr = self.url.trim_start_matches("http://");
        let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
            return;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let request = format!(
            "DELETE /session/{} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.session
        );
        if stream.write_all(request.as_bytes()).is_ok() {
            let mut reply = Vec::new();
            let _ = stream.read_to_end(&mut reply);
        }
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.url, self.session);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req
            .send()
            .await
            .expect("webdriver")
            .json()
            .await
            .expect("webdriver json");
        if v["value"]["error"].is_string() {
            panic!("webdriver {path}: {}", v["value"]);
        }
        v["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    async fn current_url(&self) -> String {
        self.cmd(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .cmd(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        match v[ELEMENT].as_str() {
            Some(id) => id.to_string(),
            None => panic!("no element {css}: {v}"),
        }
    }

    async fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{e}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{e}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// Press keys on the page (not in a field), as a person would.
    async fn keys(&self, keys: &str) {
        let mut actions = Vec::new();
        for k in keys.chars() {
            actions.push(json!({"type": "keyDown", "value": k.to_string()}));
            actions.push(json!({"type": "keyUp", "value": k.to_string()}));
        }
        self.cmd(
            reqwest::Method::POST,
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        )
        .await;
    }

    async fn js(&self, script: &str) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Wait until `script` returns true (page loads after a form post are asynchronous).
    async fn wait_for(&self, script: &str, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if self.js(script).await == json!(true) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn screenshot(&self, name: &str) -> PathBuf {
        let b64 = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64_decode(b64.as_str().unwrap_or(""));
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/web-screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(name);
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    async fn login(&self, env: &Env, name: &str) {
        self.goto(&format!("{}/login", env.base)).await;
        self.type_into("#name", name).await;
        self.type_into("#password", PASSWORD).await;
        self.click("#login").await;
        self.wait_for(
            "return location.pathname === '/queue'",
            "the queue after login",
        )
        .await;
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for v in s.bytes().filter_map(val) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

#[tokio::test]
async fn a_reviewer_clears_the_oldest_order_with_the_keyboard_and_it_reaches_the_outbox() {
    let env = start().await;
    let d = Driver::start().await;
    d.login(&env, "alice").await;
    // The queue, oldest first: the first row is selected; Enter opens it.
    d.wait_for(
        "return document.querySelector('tr.selectable.selected') !== null",
        "a selected row",
    )
    .await;
    d.keys("\u{E007}").await; // Enter
    let item = format!("/items/{}", env.nearmiss);
    d.wait_for(
        &format!("return location.pathname === '{item}'"),
        "the oldest item",
    )
    .await;
    d.wait_for(
        "return document.querySelector('.exc.selected') !== null",
        "a selected exception",
    )
    .await;
    let text = d
        .js("return document.querySelector('.exc.selected').innerText")
        .await;
    assert!(
        text.as_str().unwrap_or("").contains("BRG-6001-2RS"),
        "{text}"
    );
    // Give the PDF viewer a moment to paint before the picture is taken.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    d.screenshot("item.png").await;
    // f applies the suggested SKU; the rules run again and nothing is left.
    d.keys("f").await;
    d.wait_for(
        "return location.search.indexOf('done=fixed') >= 0",
        "the fix",
    )
    .await;
    let sku = d
        .js("return document.querySelector('input[name=l1_sku]').value")
        .await;
    assert_eq!(sku, json!("BRG-6001-2RS"));
    assert_eq!(
        d.js("return document.querySelectorAll('.exc').length")
            .await,
        json!(0)
    );
    d.screenshot("item-fixed.png").await;
    // a approves; the next open order is shown.
    d.keys("a").await;
    d.wait_for(
        "return location.search.indexOf('done=approved') >= 0",
        "the approval",
    )
    .await;
    assert!(d
        .current_url()
        .await
        .contains(&format!("/items/{}", env.xss)));
    let store = Store::open(&env.data).expect("store");
    assert_eq!(
        store.order(env.nearmiss).expect("o").expect("row").state,
        OrderState::Accepted
    );
    drop(store);
    // The OMS delivery (default file connector) writes the order to <data>/outbox/.
    let report = po_intake::oms::push_once(&env.data, &OmsConfig::default())
        .await
        .expect("push");
    assert_eq!(report.delivered, 1, "{report:?}");
    let files: Vec<PathBuf> = std::fs::read_dir(env.data.join("outbox"))
        .expect("outbox dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let payload = std::fs::read_to_string(&files[0]).expect("payload");
    assert!(
        payload.contains("BRG-6001-2RS") && payload.contains("938409"),
        "{payload}"
    );
    let history = Store::open(&env.data)
        .expect("store")
        .audit_for("order", env.nearmiss)
        .expect("audit");
    for action in ["viewed", "edited", "accepted"] {
        assert!(
            history
                .iter()
                .any(|h| h.actor == "alice" && h.action == action),
            "{action}"
        );
    }
}

#[tokio::test]
async fn a_script_in_a_description_is_shown_as_text() {
    let env = start().await;
    let d = Driver::start().await;
    d.login(&env, "alice").await;
    d.goto(&format!("{}/items/{}", env.base, env.xss)).await;
    d.wait_for(
        "return document.querySelector('input[name=l0_description]') !== null",
        "the item",
    )
    .await;
    let v = d
        .js("return document.querySelector('input[name=l0_description]').value")
        .await;
    assert!(
        v.as_str()
            .unwrap_or("")
            .starts_with("<script>window.__xss=1</script>"),
        "{v}"
    );
    let text = d
        .js("return document.querySelector('.doc-text').textContent")
        .await;
    assert!(
        text.as_str().unwrap_or("").contains("<img src=x onerror="),
        "{text}"
    );
    assert_eq!(
        d.js("return typeof window.__xss").await,
        json!("undefined"),
        "the script ran"
    );
    assert_eq!(
        d.js("return document.querySelectorAll('main script, main img').length")
            .await,
        json!(0)
    );
    d.screenshot("item-escaped.png").await;
}

#[tokio::test]
async fn pages_need_a_session() {
    let env = start().await;
    let d = Driver::start().await;
    d.goto(&format!("{}/items/{}", env.base, env.nearmiss))
        .await;
    d.wait_for("return location.pathname === '/login'", "the login page")
        .await;
    assert!(
        d.current_url().await.contains("next=%2Fitems%2F")
            || d.current_url().await.contains("next=/items/")
    );
    d.goto(&format!("{}/api/queue", env.base)).await;
    let body = d.js("return document.body.innerText").await;
    assert!(
        body.as_str().unwrap_or("").contains("\"status\":401"),
        "{body}"
    );
    // After logging in, the page asked for first is shown.
    d.goto(&format!("{}/items/{}", env.base, env.nearmiss))
        .await;
    d.type_into("#name", "alice").await;
    d.type_into("#password", PASSWORD).await;
    d.click("#login").await;
    d.wait_for(
        &format!("return location.pathname === '/items/{}'", env.nearmiss),
        "the item",
    )
    .await;
    // Logging out ends it.
    d.click(".who button").await;
    d.wait_for(
        "return location.pathname === '/login'",
        "the login page after logout",
    )
    .await;
    d.goto(&format!("{}/queue", env.base)).await;
    d.wait_for("return location.pathname === '/login'", "login again")
        .await;
}

/// Issue 20: the upload page. Two files dropped on the zone (a real `drop` event carrying
/// `File`s) and one chosen with the file picker; each is read by the pipeline and its row
/// shows the outcome with links to the orders.
#[tokio::test]
async fn files_dropped_on_the_upload_page_become_orders() {
    let env = start().await;
    let d = Driver::start().await;
    d.login(&env, "alice").await;
    d.goto(&format!("{}/upload", env.base)).await;
    d.wait_for(
        "return !!document.getElementById('dropzone')",
        "the upload page",
    )
    .await;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let edi = std::fs::read_to_string(root.join("tests/data/edi/x12-850-three-sets.edi"))
        .expect("edi fixture");
    let text =
        std::fs::read_to_string(root.join("fixtures/inbox/order_list.txt")).expect("text fixture");
    let script = format!(
        "const dt = new DataTransfer();
         dt.items.add(new File([{edi}], 'orders.x12', {{type: 'application/octet-stream'}}));
         dt.items.add(new File([{text}], 'order_list.txt', {{type: 'text/plain'}}));
         const zone = document.getElementById('dropzone');
         zone.dispatchEvent(new DragEvent('dragover', {{dataTransfer: dt, bubbles: true, cancelable: true}}));
         zone.dispatchEvent(new DragEvent('drop', {{dataTransfer: dt, bubbles: true, cancelable: true}}));
         return true;",
        edi = serde_json::to_string(&edi).expect("json"),
        text = serde_json::to_string(&text).expect("json"),
    );
    assert_eq!(d.js(&script).await, json!(true));
    // The file picker: chromedriver sets the input's files from a path.
    let picked = root.join("tests/data/edi/edifact-orders-d96a-two-messages.edi");
    d.type_into("#files", &picked.display().to_string()).await;
    d.wait_for(
        "return document.querySelectorAll('#uploads tbody tr[data-done]').length === 3",
        "three upload rows with an outcome",
    )
    .await;
    let rows = d
        .js(
            "return Array.from(document.querySelectorAll('#uploads tbody tr')).map(r => \
             Array.from(r.cells).map(c => c.textContent.trim()))",
        )
        .await;
    let shot = d.screenshot("upload.png").await;
    let rows = rows.as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 3, "{rows:?} ({})", shot.display());
    let row = |file: &str| {
        rows.iter()
            .find(|r| r[0] == file)
            .unwrap_or_else(|| panic!("no row for {file}: {rows:?}"))
            .clone()
    };
    let x12 = row("orders.x12");
    assert_eq!(x12[1], "processed", "{x12}");
    let orders = x12[3].as_str().unwrap_or("");
    assert!(
        orders.contains("PO PO-77001") && orders.contains("PO PO-77002"),
        "{orders}"
    );
    assert_eq!(row("order_list.txt")[1], "processed");
    let picked_row = row("edifact-orders-d96a-two-messages.edi");
    assert!(
        picked_row[3]
            .as_str()
            .unwrap_or("")
            .contains("BST-2026-0101"),
        "{picked_row}"
    );
    // The links lead to the orders.
    let links = d
        .js("return Array.from(document.querySelectorAll('a.upload-order')).map(a => a.getAttribute('href'))")
        .await;
    assert_eq!(links.as_array().map(Vec::len), Some(5), "{links}");
    let store = Store::open(&env.data).expect("store");
    let counts = store.document_counts_by_source().expect("counts");
    let uploaded: i64 = counts
        .iter()
        .filter(|(source, _, _)| source == "upload")
        .map(|(_, _, n)| n)
        .sum();
    assert_eq!(uploaded, 3, "{counts:?}");
}

/// The page-view word whose text is `text` and whose box lies inside the focused field's
/// highlight, marked with `id` for a click; its box in page units.
const MARK_WORD: &str = "
    const [text, id] = arguments;
    const hl = document.querySelector('#page-view rect.hl');
    if (!hl) return null;
    const h = hl.getBoundingClientRect();
    const g = Array.from(document.querySelectorAll('#page-view g.w')).find(g => {
        const r = g.firstElementChild.getBoundingClientRect();
        return g.textContent === text && r.left >= h.left - 0.5 && r.right <= h.right + 0.5
            && r.top >= h.top - 0.5 && r.bottom <= h.bottom + 0.5;
    });
    if (!g) return null;
    g.id = id;
    const r = g.firstElementChild;
    const x = +r.getAttribute('x'), y = +r.getAttribute('y');
    return [x, y, x + +r.getAttribute('width'), y + +r.getAttribute('height')];";

impl Driver {
    async fn js_args(&self, script: &str, args: Value) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    /// Focus field `name`, check its box is drawn over the word `word`, mark that word.
    async fn focus_and_mark(&self, name: &str, word: &str, id: &str) -> Vec<f64> {
        self.click(&format!("input[name={name}]")).await;
        self.wait_for(
            &format!("const r = document.querySelector('#page-view rect.hl'); return !!r && r.getAttribute('data-for') === '{name}'"),
            "the field's box on the page",
        )
        .await;
        let b = self.js_args(MARK_WORD, json!([word, id])).await;
        b.as_array()
            .unwrap_or_else(|| panic!("no word {word} inside the box drawn for {name}"))
            .iter()
            .map(|v| v.as_f64().unwrap_or(f64::NAN))
            .collect()
    }
}

/// The boxes (page units) and on-screen corners of the words `texts` on the line of the
/// page view at page-y `y` (within 3 units).
const LINE_WORDS: &str = "
    const [texts, y] = arguments;
    const ws = Array.from(document.querySelectorAll('#page-view g.w')).filter(g =>
        Math.abs(+g.firstElementChild.getAttribute('y') - y) < 3);
    const found = texts.map(t => ws.find(g => g.textContent === t));
    if (found.some(g => !g)) return null;
    found[0].scrollIntoView({block: 'center'});
    const box = found.map(g => { const r = g.firstElementChild;
        const x = +r.getAttribute('x'), y = +r.getAttribute('y');
        return [x, y, x + +r.getAttribute('width'), y + +r.getAttribute('height')]; });
    const a = found[0].firstElementChild.getBoundingClientRect();
    const b = found[found.length - 1].firstElementChild.getBoundingClientRect();
    return {box: [Math.min(...box.map(b => b[0])), Math.min(...box.map(b => b[1])),
                  Math.max(...box.map(b => b[2])), Math.max(...box.map(b => b[3]))],
            from: [Math.floor(a.left) - 2, Math.floor(a.top) - 2],
            to: [Math.ceil(b.right) + 2, Math.ceil(b.bottom) + 2]};";

/// The box of a source span, for comparing with the page view's (f64) boxes.
fn bbox_of(s: Option<&po_intake::domain::SourceSpan>) -> Vec<f64> {
    s.map(|s| s.bbox.iter().map(|v| f64::from(*v)).collect())
        .unwrap_or_default()
}

fn close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 0.02)
}

/// Issue 18 item 4: the item page draws each value's box on a page view built from the
/// document's words; a reviewer fixes values by clicking the words they are printed in, and
/// the approval learns the layout from exactly those boxes.
#[tokio::test]
async fn focusing_a_field_shows_its_box_and_clicking_a_word_fills_it_and_teaches_the_layout() {
    let env = start().await;
    let d = Driver::start().await;
    d.login(&env, "alice").await;
    // A real PDF read by the pipeline (its values carry the boxes the extractor read them at).
    d.goto(&format!("{}/upload", env.base)).await;
    let pdf = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/inbox/PO_price_off.pdf");
    d.type_into("#files", &pdf.display().to_string()).await;
    d.wait_for(
        "return document.querySelectorAll('a.upload-order').length === 1",
        "the uploaded order",
    )
    .await;
    let href = d
        .js("return document.querySelector('a.upload-order').getAttribute('href')")
        .await;
    let href = href.as_str().unwrap_or("").to_string();
    let id: i64 = href
        .trim_start_matches("/items/")
        .parse()
        .unwrap_or_else(|_| panic!("order link {href}"));
    d.goto(&format!("{}{href}", env.base)).await;
    d.wait_for(
        "return document.querySelectorAll('#page-view svg.page g.w').length > 50",
        "the page view with its words",
    )
    .await;
    // The numbers and dates a click gives, read as the form wants them.
    for (f, text, want) in [
        ("parseNumber", "3 474,51", "3474.51"),
        ("parseNumber", "$1,259.60", "1259.6"),
        ("parseNumber", "25.000", "25"),
        ("parseNumber", "(12.00)", "-12"),
        ("parseDate", "07/26/2025", "2025-07-26"),
        ("parseDate", "24.02.2023", "2023-02-24"),
        ("parseDate", "Feb 24, 2023", "2023-02-24"),
    ] {
        let got = d
            .js_args(
                &format!("return window.poIntake.{f}(arguments[0])"),
                json!([text]),
            )
            .await;
        assert_eq!(got, json!(want), "{f}({text})");
    }
    // Focusing the PO number draws its box around the printed PO number, on screen.
    let po_box = d.focus_and_mark("h_po_number", "ORD51009", "po-word").await;
    let hl = d
        .js("const h = document.querySelector('#page-view rect.hl').getBoundingClientRect(); \
             const w = document.getElementById('po-word').firstElementChild.getBoundingClientRect(); \
             return [h.width - w.width, h.height - w.height, h.width > 20]")
        .await;
    let hl = hl.as_array().cloned().unwrap_or_default();
    assert!(
        hl.len() == 3
            && hl[0].as_f64().is_some_and(|v| v < 12.0)
            && hl[1].as_f64().is_some_and(|v| v < 12.0)
            && hl[2] == json!(true),
        "the highlight is not drawn tight around the PO number: {hl:?}"
    );
    let shot = d.screenshot("item-pageview.png").await;
    // The reviewer types a wrong value, then clicks the printed one: the field takes it.
    d.js("const i = document.querySelector('input[name=h_po_number]'); i.value = ''; return true")
        .await;
    d.type_into("input[name=h_po_number]", "WRONG").await;
    d.click("#po-word").await;
    assert_eq!(
        d.js("return document.querySelector('input[name=h_po_number]').value")
            .await,
        json!("ORD51009"),
        "({})",
        shot.display()
    );
    // A date and a quantity: read as the form wants them.
    d.focus_and_mark("h_order_date", "07/26/2025", "date-word")
        .await;
    d.js("document.querySelector('input[name=h_order_date]').value = ''; return true")
        .await;
    d.click("#date-word").await;
    assert_eq!(
        d.js("return document.querySelector('input[name=h_order_date]').value")
            .await,
        json!("2025-07-26")
    );
    let qty_box = d.focus_and_mark("l0_quantity", "25.000", "qty-word").await;
    d.js("document.querySelector('input[name=l0_quantity]').value = '7'; return true")
        .await;
    d.click("#qty-word").await;
    assert_eq!(
        d.js("return document.querySelector('input[name=l0_quantity]').value")
            .await,
        json!("25")
    );
    // The buyer, dragged over its three words in the ship-to block (the extractor read it
    // from the letterhead): the field takes the words, the box is theirs.
    d.click("input[name=h_buyer]").await;
    let line = d
        .js_args(
            LINE_WORDS,
            json!([["Sierra", "Aerospace", "Components"], 205.05]),
        )
        .await;
    let buyer_box: Vec<f64> = line["box"]
        .as_array()
        .unwrap_or_else(|| panic!("the ship-to block's first line: {line}"))
        .iter()
        .map(|v| v.as_f64().unwrap_or(f64::NAN))
        .collect();
    let at = |k: &str, i: usize| line[k][i].as_f64().unwrap_or(0.0).round() as i64;
    d.cmd(
        reqwest::Method::POST,
        "/actions",
        Some(json!({"actions": [{"type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [
                {"type": "pointerMove", "origin": "viewport", "x": at("from", 0), "y": at("from", 1)},
                {"type": "pointerDown", "button": 0},
                {"type": "pointerMove", "origin": "viewport", "x": at("to", 0), "y": at("to", 1), "duration": 200},
                {"type": "pointerUp", "button": 0}
            ]}]})),
    )
    .await;
    assert_eq!(
        d.js("return document.querySelector('input[name=h_buyer]').value")
            .await,
        json!("Sierra Aerospace Components")
    );
    d.screenshot("item-pageview-picked.png").await;
    // Typing over a picked value drops its box; picking again brings it back.
    d.type_into("input[name=l0_quantity]", "0").await;
    assert_eq!(
        d.js("return !!document.querySelector('input[name=\"box:l0_quantity\"]')")
            .await,
        json!(false)
    );
    d.click("#qty-word").await;
    d.click("#save").await;
    d.wait_for(
        "return location.search.indexOf('done=saved') >= 0",
        "the save",
    )
    .await;
    let store = Store::open(&env.data).expect("store");
    let row = store.order(id).expect("order").expect("row");
    let po = row.order.po_number.clone().expect("a PO number");
    assert_eq!(po.value, "ORD51009");
    assert_eq!(po.confidence, 1.0);
    let placed = bbox_of(po.source.as_ref());
    assert!(close(&placed, &po_box), "{placed:?} vs {po_box:?}");
    let qty = row.order.lines[0].quantity.clone().expect("a quantity");
    assert_eq!(qty.value, 25.0);
    let placed = bbox_of(qty.source.as_ref());
    assert!(close(&placed, &qty_box), "{placed:?} vs {qty_box:?}");
    let placed = bbox_of(row.order.buyer.as_ref().and_then(|b| b.source.as_ref()));
    assert!(close(&placed, &buyer_box), "{placed:?} vs {buyer_box:?}");
    drop(store);
    // After the reload the box is drawn from the stored order.
    d.wait_for(
        "return !!document.querySelector('#page-view svg.page')",
        "the page again",
    )
    .await;
    d.focus_and_mark("h_po_number", "ORD51009", "po-word").await;
    // Approve (the price exception is still open: the second press approves).
    d.js("document.activeElement.blur(); return true").await;
    d.keys("aa").await;
    d.wait_for(
        "return location.search.indexOf('done=approved') >= 0",
        "the approval",
    )
    .await;
    let store = Store::open(&env.data).expect("store");
    assert_eq!(
        store.order(id).expect("order").expect("row").state,
        OrderState::Accepted
    );
    // The layout learned from the approval reads the PO number where it was clicked.
    let layouts = store.all_layouts().expect("layouts");
    let learned: Vec<po_intake::learn::Layout> = layouts
        .iter()
        .filter(|l| l.order_id == id)
        .filter_map(po_intake::learn::approve::parse)
        .collect();
    assert_eq!(learned.len(), 1, "{layouts:?}");
    let rule = learned[0]
        .fields
        .iter()
        .find(|f| f.field == "po_number")
        .expect("the PO number's place was learned");
    let at: Vec<f64> = rule.learned_value.iter().map(|v| f64::from(*v)).collect();
    assert!(close(&at, &po_box), "learned at {at:?}, clicked {po_box:?}");
    // The buyer is learned where the reviewer dragged, not where the extractor read it.
    let rule = learned[0]
        .fields
        .iter()
        .find(|f| f.field == "buyer")
        .expect("the buyer's place was learned");
    let at: Vec<f64> = rule.learned_value.iter().map(|v| f64::from(*v)).collect();
    assert!(
        close(&at, &buyer_box),
        "learned at {at:?}, dragged {buyer_box:?}"
    );
}
