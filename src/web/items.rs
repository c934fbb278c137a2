//! One order under review: the page (original beside the extraction, exceptions on their
//! lines, history) and the reviewer's actions on it. The actions are plain functions over a
//! `Store` ([`ops`]) so the HTML handlers here and the JSON API share them.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::auth::Reviewer;
use super::edit::{self, HEADER_FIELDS, LINE_FIELDS};
use super::pageview::{box_attr, page_view, words_for, PageView};
use super::{render, AppState, WebError};
use crate::domain::{ChargeKind, Document, OrderState};
use crate::store::{AuditEntry, Claim, OrderRow, StoredEmail};

/// The actions, shared by the HTML and JSON handlers.
pub(crate) mod ops {
    use chrono::Duration;

    use super::super::edit;
    use super::super::WebError;
    use crate::config::Config;
    use crate::domain::{Order, OrderState};
    use crate::store::{Claim, OrderRow, Store};

    pub fn open_row(store: &Store, id: i64) -> Result<OrderRow, WebError> {
        store
            .order(id)?
            .ok_or_else(|| WebError::NotFound(format!("order {id} not found")))
    }

    /// Record the view and claim the order (unless someone else holds it).
    pub fn view(
        store: &mut Store,
        cfg: &Config,
        user: &str,
        id: i64,
    ) -> Result<(OrderRow, Option<Claim>), WebError> {
        let row = open_row(store, id)?;
        store.audit(user, "order", Some(id), "viewed", None)?;
        let claim = if row.state == OrderState::Review {
            let ttl = Duration::minutes(i64::try_from(cfg.web.claim_minutes).unwrap_or(15));
            Some(store.claim_order(id, user, ttl)?)
        } else {
            None
        };
        Ok((row, claim))
    }

    /// Change the order with `change`, run the rules again and store both (version-checked).
    pub fn edit(
        store: &mut Store,
        cfg: &Config,
        user: &str,
        id: i64,
        version: i64,
        change: impl FnOnce(&mut Order, &OrderRow) -> Result<(), WebError>,
    ) -> Result<i64, WebError> {
        let row = open_row(store, id)?;
        if row.version != version || row.state != OrderState::Review {
            return Err(stale(&row, version));
        }
        let mut order = row.order.clone();
        change(&mut order, &row)?;
        let check = edit::recheck(store, cfg, &row, &order)?;
        Ok(store.update_order(id, version, user, &order, &check)?)
    }

    /// Apply exception `ex`'s suggestion; with `remember`, also teach the customer's code.
    pub fn fix(
        store: &mut Store,
        cfg: &Config,
        user: &str,
        id: i64,
        version: i64,
        ex: usize,
        remember: bool,
    ) -> Result<i64, WebError> {
        let row = open_row(store, id)?;
        if row.version != version || row.state != OrderState::Review {
            return Err(stale(&row, version));
        }
        let mut order = row.order.clone();
        let printed_unit = edit::printed_unit(&row.order, &row.check, ex);
        let (line, printed) = edit::apply_suggestion(&mut order, &row.check, ex)?;
        if remember {
            let customer = row.check.customer_id.clone().ok_or_else(|| {
                WebError::BadRequest("the customer is not known yet; confirm it first".into())
            })?;
            let chosen = |f: fn(&crate::domain::LineItem) -> Option<&String>| {
                line.and_then(|i| order.lines.get(i)).and_then(f).cloned()
            };
            let sku = chosen(|l| l.sku.as_ref().map(|f| &f.value));
            let unit = chosen(|l| l.uom.as_ref().map(|f| &f.value));
            match (printed_unit, unit, printed, sku) {
                (Some(p), Some(u), _, _) => store.add_uom_alias(&customer, &p, &u, user)?,
                (None, _, Some(code), Some(sku)) => {
                    store.add_crossref(&customer, &code, &sku, user)?
                }
                _ => {
                    return Err(WebError::BadRequest(
                        "only a SKU chosen for a printed code, or a unit chosen for a printed unit, can be remembered".into(),
                    ))
                }
            }
        }
        let check = edit::recheck(store, cfg, &row, &order)?;
        Ok(store.update_order(id, version, user, &order, &check)?)
    }

    /// Remember that the order's buyer name means `customer_id`, then run the rules again.
    pub fn learn_buyer(
        store: &mut Store,
        cfg: &Config,
        user: &str,
        id: i64,
        version: i64,
        customer_id: &str,
    ) -> Result<i64, WebError> {
        let row = open_row(store, id)?;
        if row.version != version || row.state != OrderState::Review {
            return Err(stale(&row, version));
        }
        let buyer = row
            .order
            .buyer
            .as_ref()
            .map(|b| b.value.clone())
            .filter(|b| !b.trim().is_empty())
            .ok_or_else(|| {
                WebError::BadRequest("the order has no buyer name; type it in first".into())
            })?;
        store.add_buyer_alias(&buyer, customer_id.trim(), user)?;
        let check = edit::recheck(store, cfg, &row, &row.order)?;
        Ok(store.update_order(id, version, user, &row.order, &check)?)
    }

    /// Approve the order and learn its layout (issue 18): the next document of this
    /// customer's form is read the way this one was approved.
    pub fn approve(
        store: &mut Store,
        cfg: &Config,
        user: &str,
        id: i64,
        version: i64,
    ) -> Result<(), WebError> {
        open_row(store, id)?;
        store.approve_order(id, Some(version), user)?;
        store.release_claim(id, user)?;
        if let Err(e) = crate::learn::approve::learn_from(store, cfg, id, user) {
            // Learning is a bonus: the approval stands.
            tracing::warn!(order = id, "learning the layout: {e}");
        }
        Ok(())
    }

    pub fn reject(
        store: &mut Store,
        user: &str,
        id: i64,
        version: i64,
        reason: &str,
    ) -> Result<(), WebError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(WebError::BadRequest(
                "say why the order is rejected (the reason is kept with it)".into(),
            ));
        }
        open_row(store, id)?;
        store.reject_order(id, Some(version), user, reason)?;
        store.release_claim(id, user)?;
        Ok(())
    }

    /// The next open order for `user` after `id` in queue order (skipping ones others hold).
    pub fn next_after(store: &Store, user: &str, id: i64) -> Result<Option<i64>, WebError> {
        let q = store.review_queue()?;
        let free = |r: &&crate::store::QueueRow| {
            r.order_id != id && r.claim.as_ref().is_none_or(|c| c.user == user)
        };
        let pos = q.iter().position(|r| r.order_id == id);
        let after = pos
            .and_then(|p| q.iter().skip(p + 1).find(free))
            .or_else(|| q.iter().find(free));
        Ok(after.map(|r| r.order_id))
    }

    pub fn stale(row: &OrderRow, version: i64) -> WebError {
        WebError::Conflict(format!(
            "order {} changed while you had it open (it is now {} at version {}, you saw version {version}); reload it to see what changed",
            row.id,
            row.state.as_str(),
            row.version
        ))
    }
}

pub struct HeaderView {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
    /// Where the value was read (`part page x0 y0 x1 y1`), empty when unknown.
    pub source: String,
    pub low: bool,
    pub flagged: bool,
}

pub struct CellView {
    pub input: String,
    pub field: &'static str,
    pub value: String,
    pub source: String,
    pub low: bool,
    pub flagged: bool,
}

pub struct FixView {
    pub field: String,
    pub value: String,
    pub label: String,
    pub can_remember: bool,
    pub remember_text: String,
}

pub struct ExcView {
    pub index: usize,
    pub code: &'static str,
    pub message: String,
    pub fix: Option<FixView>,
    /// For an unknown customer with a suggestion: the customer id to confirm.
    pub confirm_customer: Option<String>,
}

pub struct LineView {
    pub index: usize,
    pub line_no: u32,
    pub cells: Vec<CellView>,
    pub matched: String,
    pub exceptions: Vec<ExcView>,
}

/// One charge row of the edit form (the last one is blank, for adding a charge).
pub struct ChargeView {
    pub index: usize,
    pub kind: &'static str,
    pub label: String,
    pub rate: String,
    pub amount: String,
    /// Where the amount was read.
    pub source: String,
}

pub struct AttachmentView {
    pub n: usize,
    pub name: String,
    pub media_type: String,
    pub size: String,
    pub pdf: bool,
}

pub struct EmailView {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub date: String,
    pub body: String,
    pub attachments: Vec<AttachmentView>,
}

pub struct HistoryView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "item.html")]
pub struct ItemPage {
    pub user: String,
    pub csrf: String,
    pub id: i64,
    pub version: i64,
    pub state: &'static str,
    pub open: bool,
    pub po: String,
    pub customer: String,
    pub doc: Document,
    pub doc_kind: &'static str,
    pub email: Option<EmailView>,
    pub text: String,
    pub header: Vec<HeaderView>,
    pub header_exceptions: Vec<ExcView>,
    pub lines: Vec<LineView>,
    pub charges: Vec<ChargeView>,
    pub charge_kinds: Vec<&'static str>,
    pub columns: Vec<&'static str>,
    pub exception_count: usize,
    pub claimed_by_other: Option<Claim>,
    pub history: Vec<HistoryView>,
    pub flash: Option<String>,
    pub position: String,
    /// The learned layout the order was read with (issue 18), shown with a way to forget it.
    pub layout: Option<crate::domain::LayoutUse>,
    /// The pages the order was read from, drawn from their words (issue 18 item 4).
    pub pageview: Option<PageView>,
}

fn size_text(n: usize) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / 1048576.0)
    } else if n >= 1024 {
        format!("{} KB", n / 1024)
    } else {
        format!("{n} B")
    }
}

fn exc_view(
    index: usize,
    e: &crate::domain::Exception,
    row: &OrderRow,
    line: Option<&crate::domain::LineItem>,
) -> ExcView {
    let confirm_customer = e
        .suggestion
        .as_ref()
        .filter(|s| s.field == "customer_id")
        .map(|s| s.value.clone());
    let fix = e
        .suggestion
        .as_ref()
        .filter(|s| s.field != "customer_id")
        .map(|s| {
            // What "remember" teaches: the printed unit for a unit, else the printed code.
            let printed = line.and_then(|l| {
                if s.field == "uom" {
                    l.uom.as_ref().map(|u| u.value.trim().to_string())
                } else {
                    edit::printed_code(l)
                }
            });
            let printed = printed.as_deref();
            let can_remember = (s.field == "sku" || s.field == "uom")
                && row.check.customer_id.is_some()
                && printed.is_some();
            FixView {
                field: s.field.clone(),
                value: s.value.clone(),
                label: s.label.clone(),
                can_remember,
                remember_text: format!(
                    "remember {} = {} for {}",
                    printed.unwrap_or(""),
                    s.value,
                    row.check.customer_id.as_deref().unwrap_or("")
                ),
            }
        });
    ExcView {
        index,
        code: e.code.as_str(),
        message: e.message.clone(),
        fix,
        confirm_customer,
    }
}

/// Build the item page from a stored order and its document.
#[allow(clippy::too_many_arguments)]
fn item_page(
    who: &Reviewer,
    row: &OrderRow,
    doc: Document,
    original: Option<Vec<u8>>,
    stored_email: Option<StoredEmail>,
    limits: &crate::parse::Limits,
    rules: &crate::rules::RulesConfig,
    claim: Option<Claim>,
    history: Vec<AuditEntry>,
    flash: Option<String>,
    position: String,
    pageview: Option<PageView>,
) -> ItemPage {
    let o = &row.order;
    let ex = &row.check.exceptions;
    let flagged_header: Vec<String> = ex
        .iter()
        .filter(|e| e.line.is_none())
        .filter_map(|e| e.suggestion.as_ref().map(|s| s.field.clone()))
        .collect();
    let header = HEADER_FIELDS
        .iter()
        .map(|(name, label)| {
            let (value, conf) = edit::header_value(o, name);
            HeaderView {
                name,
                label,
                value,
                source: box_attr(o.source_of(name)),
                low: conf.is_some_and(|c| c < rules.threshold_of(name)),
                flagged: flagged_header.iter().any(|f| f == name),
            }
        })
        .collect();
    let header_exceptions = ex
        .iter()
        .enumerate()
        .filter(|(_, e)| e.line.is_none())
        .map(|(i, e)| exc_view(i, e, row, None))
        .collect();
    let lines = o
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let no = edit::line_no(l, i);
            let exceptions: Vec<ExcView> = ex
                .iter()
                .enumerate()
                .filter(|(_, e)| e.line == Some(no))
                .map(|(j, e)| exc_view(j, e, row, Some(l)))
                .collect();
            let flagged: Vec<&str> = ex
                .iter()
                .filter(|e| e.line == Some(no))
                .filter_map(|e| e.suggestion.as_ref().map(|s| s.field.as_str()))
                .collect();
            let cells = LINE_FIELDS
                .iter()
                .map(|(field, _)| {
                    let (value, conf) = edit::line_value(l, field);
                    CellView {
                        input: format!("l{i}_{field}"),
                        field,
                        value,
                        source: box_attr(l.source_of(field)),
                        low: conf.is_some_and(|c| c < rules.threshold_of(field)),
                        flagged: flagged.contains(field),
                    }
                })
                .collect();
            let matched = row
                .check
                .lines
                .iter()
                .find(|m| m.line_no == no)
                .map(|m| match &m.matched_sku {
                    Some(s) => format!(
                        "{s} ({})",
                        serde_json::to_value(m.kind)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default()
                    ),
                    None => "no match".to_string(),
                })
                .unwrap_or_default();
            LineView {
                index: i,
                line_no: no,
                cells,
                matched,
                exceptions,
            }
        })
        .collect();
    let (doc_kind, email, text) = match doc.media_type.as_str() {
        "application/pdf" => ("pdf", None, String::new()),
        "message/rfc822" => {
            // Kept when it was read; an email read before that was kept is parsed again.
            let StoredEmail { meta, body } = match stored_email {
                Some(kept) => kept,
                None => {
                    let bytes = original.unwrap_or_default();
                    crate::parse::parse(&bytes, &doc.file_name, limits)
                        .ok()
                        .and_then(|p| crate::pipeline::email_summary(&p, &bytes, limits))
                        .unwrap_or_default()
                }
            };
            let email = EmailView {
                from: meta.from.unwrap_or_default(),
                to: meta.to.unwrap_or_default(),
                subject: meta.subject.unwrap_or_default(),
                date: meta.date.unwrap_or_default(),
                body,
                attachments: meta
                    .attachments
                    .into_iter()
                    .enumerate()
                    .map(|(n, a)| AttachmentView {
                        n,
                        pdf: a.media_type == "application/pdf",
                        size: size_text(usize::try_from(a.size).unwrap_or(usize::MAX)),
                        name: a.name,
                        media_type: a.media_type,
                    })
                    .collect(),
            };
            ("email", Some(email), String::new())
        }
        _ => (
            "text",
            None,
            crate::parse::decode_text(&original.unwrap_or_default()),
        ),
    };
    let history = history
        .into_iter()
        .map(|h| HistoryView {
            at: h.at.get(..19).unwrap_or(&h.at).replace('T', " "),
            actor: h.actor,
            action: h.action,
            detail: h.detail.map(|d| d.to_string()).unwrap_or_default(),
        })
        .collect();
    ItemPage {
        user: who.name.clone(),
        csrf: who.csrf.clone(),
        id: row.id,
        version: row.version,
        state: row.state.as_str(),
        open: row.state == OrderState::Review,
        po: row
            .po_number
            .clone()
            .unwrap_or_else(|| "(no PO number)".into()),
        customer: row
            .customer_id
            .clone()
            .unwrap_or_else(|| "unknown customer".into()),
        doc,
        doc_kind,
        email,
        text,
        header,
        header_exceptions,
        lines,
        charges: charge_views(o),
        charge_kinds: ChargeKind::ALL.iter().map(|k| k.as_str()).collect(),
        columns: LINE_FIELDS.iter().map(|(_, l)| *l).collect(),
        exception_count: ex.len(),
        claimed_by_other: claim.filter(|c| c.user != who.name),
        history,
        flash,
        position,
        layout: o.layout.clone(),
        pageview,
    }
}

/// The order's charges as form rows, and one blank row to add a charge.
fn charge_views(o: &crate::domain::Order) -> Vec<ChargeView> {
    let mut v: Vec<ChargeView> = o
        .charges
        .iter()
        .enumerate()
        .map(|(index, c)| ChargeView {
            index,
            kind: c.kind.as_str(),
            label: c.label.clone(),
            rate: c.rate_pct.map(edit::fmt_num).unwrap_or_default(),
            amount: edit::fmt_num(c.amount.value),
            source: box_attr(c.amount.source.as_ref()),
        })
        .collect();
    v.push(ChargeView {
        index: o.charges.len(),
        kind: ChargeKind::Freight.as_str(),
        label: String::new(),
        rate: String::new(),
        amount: String::new(),
        source: String::new(),
    });
    v
}

#[derive(Deserialize)]
pub struct PageQuery {
    done: Option<String>,
}

fn flash_text(done: &str) -> Option<String> {
    let (what, id) = done.split_once(':').unwrap_or((done, ""));
    let id: Option<i64> = id.parse().ok();
    let order = id.map(|i| format!("Order {i} ")).unwrap_or_default();
    Some(match what {
        "approved" => format!("{order}approved and queued for the OMS."),
        "rejected" => format!("{order}rejected."),
        "skipped" => format!("{order}skipped."),
        "fixed" => "Fix applied; the rules ran again.".into(),
        "remembered" => "Fix applied and remembered for this customer; the rules ran again.".into(),
        "saved" => "Saved; the rules ran again.".into(),
        "learned" => "Buyer name remembered for this customer; the rules ran again.".into(),
        "forgot" => "Layout forgotten: this customer's next documents are read without it.".into(),
        _ => return None,
    })
}

pub async fn page(
    State(state): State<AppState>,
    who: Reviewer,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let user = who.name.clone();
    let (row, doc, original, stored_email, claim, history, position, pageview) = state
        .db(move |store, cfg| {
            let (row, claim) = ops::view(store, cfg, &user, id)?;
            let doc = store.document(row.document_id)?.ok_or_else(|| {
                WebError::NotFound(format!("document {} not found", row.document_id))
            })?;
            let stored_email = match doc.media_type.as_str() {
                "message/rfc822" => store.stored_email(doc.id)?,
                _ => None,
            };
            let original = if doc.media_type == "application/pdf" || stored_email.is_some() {
                None
            } else {
                store.read_original(&doc.sha256).ok()
            };
            let history = store.audit_for("order", id)?;
            let queue = store.review_queue()?;
            let position = match queue.iter().position(|r| r.order_id == id) {
                Some(p) => format!("{} of {}", p + 1, queue.len()),
                None => format!("{} open", queue.len()),
            };
            // PDFs and scans, and an email's attachments, get a page view; text does not.
            let pageview = match doc.media_type.as_str() {
                "text/plain" => None,
                _ => page_view(
                    &words_for(store, &cfg.limits, &doc),
                    row.order.part.as_deref(),
                    &doc,
                ),
            };
            Ok((
                row,
                doc,
                original,
                stored_email,
                claim,
                history,
                position,
                pageview,
            ))
        })
        .await?;
    let cfg = state.cfg();
    let flash = q.done.as_deref().and_then(flash_text);
    Ok(render(&item_page(
        &who,
        &row,
        doc,
        original,
        stored_email,
        &cfg.limits,
        &cfg.rules,
        claim,
        history,
        flash,
        position,
        pageview,
    )))
}

fn version_of(form: &HashMap<String, String>) -> Result<i64, WebError> {
    form.get("version")
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| WebError::BadRequest("the form has no order version; reload".into()))
}

fn back(id: i64, done: &str) -> Response {
    Redirect::to(&format!("/items/{id}?done={done}")).into_response()
}

pub async fn edit(
    State(state): State<AppState>,
    who: Reviewer,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let map: HashMap<String, String> = pairs.iter().cloned().collect();
    let version = version_of(&map)?;
    state
        .db(move |store, cfg| {
            ops::edit(store, cfg, &who.name, id, version, |o, _| {
                edit::apply_form(o, &pairs)
            })
        })
        .await?;
    Ok(back(id, "saved"))
}

pub async fn fix(
    State(state): State<AppState>,
    who: Reviewer,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let version = version_of(&form)?;
    let ex: usize = form
        .get("ex")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| WebError::BadRequest("which exception? (ex is missing)".into()))?;
    let remember = form.get("remember").is_some_and(|v| v == "1");
    state
        .db(move |store, cfg| ops::fix(store, cfg, &who.name, id, version, ex, remember))
        .await?;
    Ok(back(id, if remember { "remembered" } else { "fixed" }))
}

pub async fn learn_buyer(
    State(state): State<AppState>,
    who: Reviewer,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let version = version_of(&form)?;
    let customer = form.get("customer_id").cloned().unwrap_or_default();
    state
        .db(move |store, cfg| ops::learn_buyer(store, cfg, &who.name, id, version, &customer))
        .await?;
    Ok(back(id, "learned"))
}

/// After finishing an order: the next one, or the queue when none is left.
async fn to_next(
    state: &AppState,
    user: String,
    id: i64,
    done: &str,
) -> Result<Response, WebError> {
    let next = state
        .db(move |store, _| ops::next_after(store, &user, id))
        .await?;
    let done = format!("{done}:{id}");
    Ok(match next {
        Some(n) => Redirect::to(&format!("/items/{n}?done={done}")).into_response(),
        None => Redirect::to(&format!("/queue?done={done}")).into_response(),
    })
}

pub async fn approve(
    State(state): State<AppState>,
    who: Reviewer,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let version = version_of(&form)?;
    let user = who.name.clone();
    state
        .db(move |store, cfg| ops::approve(store, cfg, &user, id, version))
        .await?;
    to_next(&state, who.name, id, "approved").await
}

pub async fn reject(
    State(state): State<AppState>,
    who: Reviewer,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let version = version_of(&form)?;
    let reason = form.get("reason").cloned().unwrap_or_default();
    let user = who.name.clone();
    state
        .db(move |store, _| ops::reject(store, &user, id, version, &reason))
        .await?;
    to_next(&state, who.name, id, "rejected").await
}

/// Forget the learned layout this order was read with (issue 18).
pub async fn forget_layout(
    State(state): State<AppState>,
    who: Reviewer,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let layout: i64 = form
        .get("layout")
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| WebError::BadRequest("which layout? (layout is missing)".into()))?;
    state
        .db(move |store, _| Ok(store.forget_layout(layout, &who.name).map(|_| ())?))
        .await?;
    Ok(back(id, "forgot"))
}

pub async fn skip(
    State(state): State<AppState>,
    who: Reviewer,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let user = who.name.clone();
    state
        .db(move |store, _| {
            store.release_claim(id, &user)?;
            store.audit(&user, "order", Some(id), "skipped", None)?;
            Ok(())
        })
        .await?;
    to_next(&state, who.name, id, "skipped").await
}
