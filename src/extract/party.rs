//! The party pass: the buying company's name, found the way a person finds it on a form they
//! have never seen.
//!
//! Who issued the document decides where the buyer stands. A purchase order is issued by the
//! buyer: its letterhead names the buyer and the addressee (the window address, the
//! "Vendor"/"Supplier" block) is the seller. An invoice, sales order, confirmation or quote is
//! issued by the seller: the letterhead is the seller and the addressee or the "Bill to",
//! "Sold to", "Customer" block is the buyer. So the pass finds the title, the labelled party
//! blocks, the letterhead and the window address, scores every name it finds for being the
//! buyer, and never takes a name it has seen standing for the seller.

use crate::domain::{Field, Order};
use crate::layout::labels::{pairs, Pair};
use crate::layout::lexicon::{normalise, LEGAL_FORMS};
use crate::layout::{Layout, Line, Token};

use super::table::span;

/// Who printed the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issuer {
    /// A purchase order: the buyer's own form.
    Buyer,
    /// An invoice, sales order, confirmation, quote or delivery note: the seller's form.
    Seller,
}

/// Titles of documents the seller prints.
const SELLER_TITLES: &[&str] = &[
    "invoice",
    "tax invoice",
    "commercial invoice",
    "proforma invoice",
    "pro forma invoice",
    "sales order",
    "order confirmation",
    "order acknowledgement",
    "order acknowledgment",
    "quotation",
    "quote",
    "delivery note",
    "packing slip",
    "rechnung",
    "auftragsbestatigung",
    "auftrag",
    "angebot",
    "lieferschein",
    "facture",
    "confirmation de commande",
    "confirmation de la commande",
    "accuse de reception",
    "devis",
    "bon de livraison",
    "factura",
    "confirmacion de pedido",
    "presupuesto",
    "albaran",
    "factuur",
    "orderbevestiging",
    "offerte",
    "pakbon",
    "fattura",
    "conferma d ordine",
    "offerta",
    "bolla",
];

/// Titles of documents the buyer prints.
const BUYER_TITLES: &[&str] = &[
    "purchase order",
    "order form",
    "bestellung",
    "bestellschein",
    "bon de commande",
    "commande fournisseur",
    "pedido de compra",
    "orden de compra",
    "pedido",
    "inkooporder",
    "bestelling",
    "bestelbon",
    "ordine d acquisto",
    "ordine di acquisto",
    "ordine fornitore",
    "ordine",
];

/// Words after a title phrase that make it a field label ("Invoice date", "Order to").
const LABEL_TAIL: &[&str] = &[
    "date",
    "datum",
    "fecha",
    "data",
    "to",
    "address",
    "adresse",
    "terms",
    "total",
    "amount",
    "value",
    "line",
    "type",
    "period",
    "currency",
    "ref",
    "reference",
    "status",
];

/// Labels of the buyer's own block, on any document.
const BUYER_LABELS: &[&str] = &[
    "bill to",
    "billed to",
    "bill to address",
    "invoice to",
    "send invoice to",
    "invoice address",
    "billing address",
    "sold to",
    "customer",
    "customer name",
    "company",
    "company name",
    "company address",
    "client",
    "kunde",
    "rechnungsadresse",
    "rechnungsempfanger",
    "rechnungsanschrift",
    "auftraggeber",
    "commande par",
    "facture a",
    "facturer a",
    "adresse de facturation",
    "donneur d ordre",
    "cliente",
    "facturar a",
    "direccion de facturacion",
    "klant",
    "factuuradres",
    "fatturare a",
    "intestatario",
    "indirizzo di fatturazione",
];

/// Labels that name the buying company or a person of it ("Ordered by: Irene Young").
const PERSON_LABELS: &[&str] = &[
    "purchaser",
    "ordered by",
    "besteller",
    "commande par",
    "besteld door",
];

/// Labels of a delivery block: often the buyer's own site, sometimes a third party's.
const SHIP_LABELS: &[&str] = &[
    "ship to",
    "shipped to",
    "ship to address",
    "deliver to",
    "delivery address",
    "shipping address",
    "consignee",
    "lieferadresse",
    "lieferanschrift",
    "lieferung an",
    "livre a",
    "adresse de livraison",
    "enviar a",
    "direccion de entrega",
    "afleveradres",
    "leveradres",
    "indirizzo di consegna",
    "destinatario",
];

/// Labels of the seller's block.
const SELLER_LABELS: &[&str] = &[
    "supplier",
    "supplier name",
    "vendor",
    "vendor name",
    "vendor address",
    "seller",
    "sold by",
    "remit to",
    "bill from",
    "ship from",
    "shipped from",
    "messrs",
    "lieferant",
    "fournisseur",
    "proveedor",
    "leverancier",
    "fornitore",
];

/// How much each kind of evidence says "this is the buyer".
/// A party the order's own terms define: 'Ventura Foods, LLC ("Buyer") hereby agrees'.
const SCORE_DEFINED: f32 = 4.5;
const SCORE_BUYER_LABEL: f32 = 4.0;
const SCORE_ADDRESSEE: f32 = 3.5;
const SCORE_PERSON_LABEL: f32 = 3.0;
const SCORE_LETTERHEAD: f32 = 3.0;
const SCORE_OTHER_NAME: f32 = 2.5;
const SCORE_SHIP_LABEL: f32 = 2.0;
const SCORE_MODEL: f32 = 2.0;
const BONUS_LEGAL_FORM: f32 = 1.0;

/// Share of the first page's height that holds the letterhead and the address window.
const TOP_SHARE: f32 = 0.35;

/// The issuer, from the title printed in the largest type on the first page.
pub fn issuer(tokens: &[Token<'_>], layout: &Layout) -> Option<Issuer> {
    let first = layout.lines.first()?.page;
    let mut best: Option<(f32, Issuer)> = None;
    for line in layout.lines.iter().filter(|l| l.page == first) {
        let text = line_norm(tokens, line);
        let height = line.y1 - line.y0;
        if let Some(who) = issuer_title(&text) {
            if best.is_none_or(|(h, _)| height > h * 1.05) {
                best = Some((height, who));
            }
        }
    }
    best.map(|(_, who)| who)
}

fn line_norm(tokens: &[Token<'_>], line: &Line) -> String {
    let raw: Vec<&str> = line.words.iter().map(|&i| tokens[i].text).collect();
    normalise(&raw.join(" "))
}

/// A candidate name: its words and how strongly it stands for the buyer.
#[derive(Debug, Clone)]
struct Candidate {
    words: Vec<usize>,
    score: f32,
    /// Reading order (line index), to break ties towards the top of the document.
    line: usize,
    /// Where it was found, for the trace.
    why: &'static str,
}

/// Which party a defined term in quotes names: '("Buyer")', '(the "Purchaser")'.
fn defined_term(text: &str) -> Option<Issuer> {
    let quoted = text.contains(['"', '“', '”', '\'']);
    let core = text
        .trim_matches(|c: char| !c.is_alphabetic())
        .to_lowercase();
    match core.as_str() {
        _ if !quoted => None,
        "buyer" | "purchaser" | "customer" => Some(Issuer::Buyer),
        "seller" | "supplier" | "vendor" => Some(Issuer::Seller),
        _ => None,
    }
}

/// Parties defined in running text, each with the line it is on: the capitalised words
/// right before '("Buyer")' or '(the "Supplier")' on the same line, back to the first word
/// in lower case ("... between Acme Corp. ("Buyer") and ...").
fn defined_parties(tokens: &[Token<'_>], layout: &Layout) -> Vec<(Issuer, usize, Vec<usize>)> {
    let mut out = Vec::new();
    for (li, line) in layout.lines.iter().enumerate() {
        for (k, &i) in line.words.iter().enumerate() {
            let t = tokens[i].text;
            // '("Buyer")', or '(the' then '"Buyer")'.
            let (term, before) = if t.starts_with('(') {
                (defined_term(t), k)
            } else if k >= 1 && tokens[line.words[k - 1]].text.eq_ignore_ascii_case("(the") {
                (defined_term(t), k - 1)
            } else {
                (None, k)
            };
            let Some(who) = term else { continue };
            let name: Vec<usize> = line.words[..before]
                .iter()
                .rev()
                .take_while(|&&w| {
                    let t = tokens[w].text;
                    t.starts_with(|c: char| c.is_uppercase() || c == '&') || has_legal_form(t)
                })
                .copied()
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if name_like(&text_of(tokens, &name)) {
                out.push((who, li, name));
            }
        }
    }
    out
}

/// The words of `line` cut into phrases at gaps wider than the phrase gap.
fn phrases(tokens: &[Token<'_>], line: &Line, gap: f32) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    for &i in &line.words {
        match out.last_mut() {
            Some(p)
                if p.last()
                    .is_some_and(|&j| tokens[i].bbox[0] - tokens[j].bbox[2] <= gap) =>
            {
                p.push(i)
            }
            _ => out.push(vec![i]),
        }
    }
    out
}

fn text_of(tokens: &[Token<'_>], words: &[usize]) -> String {
    words
        .iter()
        .map(|&i| tokens[i].text)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Could these words be a company's name: letters, not an address line, a number, an email
/// or a phone.
fn name_like(text: &str) -> bool {
    let t = text.trim_matches(|c: char| !c.is_alphanumeric());
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    let digits = t.chars().filter(char::is_ascii_digit).count();
    letters >= 3
        && digits * 3 < letters
        && !t.starts_with(|c: char| c.is_ascii_digit())
        && !t.contains('@')
        && !t.to_lowercase().starts_with("www")
        && !matches!(
            normalise(t).as_str(),
            "false" | "true" | "n a" | "na" | "none" | "same" | "same as above"
        )
}

/// A word that is not a legal form: "Acme" in "Acme Ltd".
fn has_plain_word(text: &str) -> bool {
    normalise(text)
        .split(' ')
        .any(|w| w.chars().any(char::is_alphabetic) && !LEGAL_FORMS.contains(&w))
}

fn has_legal_form(text: &str) -> bool {
    normalise(text).split(' ').any(|w| LEGAL_FORMS.contains(&w))
}

/// The name a party label gives: the phrase right of it (when the label ends there, with a
/// colon or a gap), else the first phrase of the line below it.
fn labelled_name(
    tokens: &[Token<'_>],
    layout: &Layout,
    p: &Pair,
    depth: usize,
) -> Option<Vec<usize>> {
    let gap = layout.settings.phrase_gap * layout.stats.height;
    let last = *p.label.last()?;
    let label_closed = tokens[last].text.ends_with(':')
        || p.right.first().is_some_and(|&i| {
            tokens[i].bbox[0] - tokens[last].bbox[2] > gap || tokens[i].text == ":"
        });
    if !p.right.is_empty() && !label_closed {
        // "Customer VAT / Fiscal Code": the label words run on into a longer label.
        return None;
    }
    let cut = |words: &[usize]| -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for &i in words {
            if tokens[i].text == ":" && out.is_empty() {
                continue;
            }
            if let Some(&j) = out.last() {
                if tokens[i].bbox[0] - tokens[j].bbox[2] > gap || tokens[j].text.ends_with(':') {
                    break;
                }
            }
            out.push(i);
        }
        // A trailing word that opens the next label ("... Ship") is no part of the name.
        while out.last().is_some_and(|&i| tokens[i].text.ends_with(':')) {
            out.pop();
        }
        out
    };
    if let Some(w) = Some(legal_name(tokens, cut(&p.right))).filter(|w| {
        let t = text_of(tokens, w);
        !w.is_empty() && name_like(&t) && !label_like(&t)
    }) {
        return Some(w);
    }
    // The name under a label may start left of it or run on past it: the whole phrase of a
    // line below that holds a word under the label. A seller's block may open with its
    // number ("Vendor#: 3002130") before its name: look `depth` lines down.
    let x0 = p
        .label
        .iter()
        .map(|&i| tokens[i].bbox[0])
        .fold(f32::MAX, f32::min);
    let x1 = p
        .label
        .iter()
        .map(|&i| tokens[i].bbox[2])
        .fold(f32::MIN, f32::max);
    let x1 = x1 + (x1 - x0);
    let here = layout.lines.get(p.line)?;
    let mut prev_y1 = here.y1;
    for line in layout.lines.iter().skip(p.line + 1).take(depth) {
        if line.page != here.page || line.y0 - prev_y1 > 1.5 * (here.y1 - here.y0).max(1.0) {
            break;
        }
        prev_y1 = line.y1;
        let under = phrases(tokens, line, gap).into_iter().find(|ph| {
            ph.iter()
                .any(|&i| tokens[i].bbox[0] < x1 && tokens[i].bbox[2] > x0)
        });
        if let Some(ph) = under {
            let w = legal_name(tokens, ph);
            let t = text_of(tokens, &w);
            if name_like(&t) && !label_like(&t) {
                return Some(w);
            }
        }
    }
    None
}

/// Words that make a phrase a label or a field, not a name ("PO number/date", "Ship From",
/// "BILL TO", "VAT / Fiscal Code").
fn label_like(text: &str) -> bool {
    const WORDS: &[&str] = &[
        "no",
        "nr",
        "number",
        "date",
        "code",
        "address",
        "to",
        "from",
        "vat",
        "id",
        "ref",
        "phone",
        "fax",
        "tel",
        "email",
        "mail",
        "gst",
        "gstin",
        "details",
        "name",
        "of",
        "information",
        "info",
    ];
    let n = normalise(text);
    n.split(' ').any(|w| WORDS.contains(&w))
        || [BUYER_LABELS, PERSON_LABELS, SHIP_LABELS, SELLER_LABELS]
            .iter()
            .any(|list| list.contains(&n.as_str()))
}

/// A company's name ends with its legal form: "Ventura Foods, LLC ("Buyer") hereby agrees
/// ..." is "Ventura Foods, LLC". A form that opens the name ("SARL ...") does not end it.
fn legal_name(tokens: &[Token<'_>], words: Vec<usize>) -> Vec<usize> {
    let is_form = |i: usize| {
        normalise(tokens[i].text)
            .split(' ')
            .any(|w| LEGAL_FORMS.contains(&w))
    };
    let Some(k) = (1..words.len()).find(|&k| is_form(words[k])) else {
        return words;
    };
    // "GmbH & Co. KG", "Private Limited": forms joined by '&' run on.
    let joiner = |i: usize| matches!(tokens[i].text, "&" | "+" | "and" | "und" | "et");
    let mut end = k + 1;
    let mut j = k + 1;
    while j < words.len() && (is_form(words[j]) || joiner(words[j])) {
        j += 1;
        if is_form(words[j - 1]) {
            end = j;
        }
    }
    words[..end].to_vec()
}

/// "M/s Bharat Bijlee Limited", "Messrs. Acme": the name of the party the page is sent to.
fn addressed(text: &str) -> bool {
    let n = normalise(text);
    n.starts_with("m s ") || n.starts_with("messrs ") || n.starts_with("ms ")
}

/// The issuer a title line names, if the line is one.
fn issuer_title(text: &str) -> Option<Issuer> {
    for (titles, who) in [
        (SELLER_TITLES, Issuer::Seller),
        (BUYER_TITLES, Issuer::Buyer),
    ] {
        let hit = titles.iter().any(|t| {
            text.strip_prefix(t).is_some_and(|rest| {
                rest.is_empty()
                    || rest.starts_with(' ')
                        && !LABEL_TAIL.contains(&rest.split_whitespace().next().unwrap_or(""))
            })
        });
        if hit {
            return Some(who);
        }
    }
    None
}

/// Two names stand for the same party: their words (legal forms aside) overlap by half or
/// more, or one holds all of the other's.
fn same_party(a: &str, b: &str) -> bool {
    let set = |s: &str| -> std::collections::HashSet<String> {
        normalise(s)
            .split(' ')
            .filter(|w| !w.is_empty() && !LEGAL_FORMS.contains(w))
            .map(str::to_string)
            .collect()
    };
    let (wa, wb) = (set(a), set(b));
    let inter = wa.intersection(&wb).count();
    let union = wa.union(&wb).count();
    inter > 0 && (inter * 2 >= union || inter == wa.len().min(wb.len()))
}

/// The web and mail domains printed on the document ("iafnetwork" from info@iafnetwork.com).
fn domains(tokens: &[Token<'_>]) -> Vec<String> {
    const WEBMAIL: &[&str] = &[
        "gmail",
        "googlemail",
        "outlook",
        "hotmail",
        "yahoo",
        "gmx",
        "web",
        "icloud",
        "live",
        "aol",
        "rediffmail",
    ];
    let label = |host: &str| -> Option<String> {
        let l = host.split('.').next()?.to_string();
        (l.len() >= 3 && !WEBMAIL.contains(&l.as_str())).then_some(l)
    };
    let mut web: Vec<String> = Vec::new();
    let mut mail: Vec<String> = Vec::new();
    for t in tokens {
        let s = t.text.to_lowercase();
        let s = s
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        if let Some((_, h)) = s.split_once('@') {
            mail.extend(label(h));
        } else if let Some(h) = s.strip_prefix("www.") {
            web.extend(label(h));
        }
    }
    mail.sort();
    mail.dedup();
    // Mail to and from several companies says nothing about who printed the page.
    if web.is_empty() && mail.len() == 1 {
        mail
    } else {
        web
    }
}

/// A company whose name is the domain of a printed web or mail address ("IAF NETWORK" and
/// iafnetwork.com) is the one that printed the page: webmail domains aside.
fn owns_domain(name: &str, domains: &[String]) -> bool {
    let words: Vec<String> = normalise(name)
        .split(' ')
        .filter(|w| !w.is_empty() && !LEGAL_FORMS.contains(w))
        .map(str::to_string)
        .collect();
    let joined: String = words.concat();
    joined.len() >= 3
        && domains.iter().any(|d| {
            d.contains(&joined)
                || joined.starts_with(d.as_str()) && d.len() * 2 >= joined.len()
                || words.first().is_some_and(|w| w.len() >= 4 && w == d)
        })
}

/// Set the order's buyer to the best-scored name the page gives, unless it has none better
/// than the model's.
pub fn apply(tokens: &[Token<'_>], layout: &Layout, order: &mut Order, part: u32) {
    let Some(first) = layout.lines.first() else {
        return;
    };
    let page = first.page;
    let found = issuer(tokens, layout);
    let who = found.unwrap_or(Issuer::Buyer);
    // With no title to go by, the letterhead may as well be the seller's.
    let letterhead = if found.is_some() {
        SCORE_LETTERHEAD
    } else {
        SCORE_OTHER_NAME - 0.5
    };
    let gap = layout.settings.phrase_gap * layout.stats.height;
    let page_lines: Vec<usize> = (0..layout.lines.len())
        .filter(|&i| layout.lines[i].page == page)
        .collect();
    let (top, bottom) = page_lines.iter().fold((f32::MAX, f32::MIN), |(a, b), &i| {
        (a.min(layout.lines[i].y0), b.max(layout.lines[i].y1))
    });
    let top_limit = top + TOP_SHARE * (bottom - top);
    let domains = domains(tokens);

    let mut cands: Vec<Candidate> = Vec::new();
    let mut sellers: Vec<String> = Vec::new();
    let find = |list: &[&str]| pairs(tokens, &layout.lines, layout.stats, list);
    for (list, score) in [
        (BUYER_LABELS, SCORE_BUYER_LABEL),
        (PERSON_LABELS, SCORE_PERSON_LABEL),
        (SHIP_LABELS, SCORE_SHIP_LABEL),
    ] {
        for p in find(list) {
            if let Some(words) = labelled_name(tokens, layout, &p, 1) {
                cands.push(Candidate {
                    words,
                    score,
                    line: p.line,
                    why: list[p.phrase],
                });
            }
        }
    }
    for p in find(SELLER_LABELS) {
        if let Some(words) = labelled_name(tokens, layout, &p, 3) {
            sellers.push(text_of(tokens, &words));
        }
    }
    for (party, line, words) in defined_parties(tokens, layout) {
        match party {
            Issuer::Buyer => cands.push(Candidate {
                words,
                score: SCORE_DEFINED,
                line,
                why: "defined in the terms",
            }),
            Issuer::Seller => sellers.push(text_of(tokens, &words)),
        }
    }

    // The window address: a one-line sender ("Acme GmbH, Main St 1, 12345 Town") over the
    // addressee's name.
    for w in page_lines.windows(2) {
        let (a, b) = (&layout.lines[w[0]], &layout.lines[w[1]]);
        if a.y1 > top_limit {
            break;
        }
        let Some(sender) = phrases(tokens, a, gap).into_iter().next() else {
            continue;
        };
        let text = text_of(tokens, &sender);
        // A postcode is a word of its own ("91710", "D-91710"), and the parts of the address
        // are set apart ("Acme GmbH, Main St 1, 12345 Town", "Acme GmbH • Main St 1 • ...").
        let postcode = sender.iter().any(|&i| {
            let t = tokens[i].text.trim_end_matches(',');
            let digits = t.rsplit('-').next().unwrap_or(t);
            (4..=6).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
        });
        let parted = sender.iter().any(|&i| {
            let t = tokens[i].text;
            t.ends_with(',') || matches!(t, "•" | "·" | "|" | "-" | "–")
        });
        let postcode = postcode && parted;
        let (Some(&a0), Some(&b0)) = (a.words.first(), b.words.first()) else {
            continue;
        };
        let aligned = (tokens[a0].bbox[0] - tokens[b0].bbox[0]).abs() <= layout.stats.height;
        let close = b.y0 - a.y1 <= 2.5 * layout.stats.height;
        if postcode && has_legal_form(&text) && sender.len() >= 4 && aligned && close {
            // A sender line that ends on its postcode continues with the town below it.
            let continued = sender
                .last()
                .is_some_and(|&i| tokens[i].text.chars().all(|c| c.is_ascii_digit()));
            let b = if continued {
                // The next line below that starts where the sender line starts.
                let next = page_lines.iter().find(|&&l| {
                    let line = &layout.lines[l];
                    line.y0 > b.y1
                        && line.words.first().is_some_and(|&i| {
                            (tokens[i].bbox[0] - tokens[a0].bbox[0]).abs() <= layout.stats.height
                        })
                });
                match next {
                    Some(&l) => &layout.lines[l],
                    None => continue,
                }
            } else {
                b
            };
            if let Some(name) = phrases(tokens, b, gap).into_iter().next() {
                let name_text = text_of(tokens, &name);
                if name_like(&name_text) {
                    match who {
                        Issuer::Seller => cands.push(Candidate {
                            words: name,
                            score: SCORE_ADDRESSEE,
                            line: w[1],
                            why: "addressee",
                        }),
                        Issuer::Buyer => sellers.push(name_text),
                    }
                }
            }
        }
    }

    // Names at the top of the first page: in their legal form, owning the printed web
    // domain, or in large type. The letterhead is the issuer (the name that owns the domain,
    // else the first); a name addressed "M/s" or "Messrs" is the addressee; any other is a
    // party that may be the buyer.
    let mut top_names: Vec<(usize, Vec<usize>)> = Vec::new();
    for &li in &page_lines {
        let line = &layout.lines[li];
        if line.y1 > top_limit {
            break;
        }
        let large = line.y1 - line.y0 >= 1.3 * layout.stats.height;
        for ph in phrases(tokens, line, gap) {
            let t = text_of(tokens, &ph);
            let title = issuer_title(&normalise(&t)).is_some();
            if name_like(&t)
                && !label_like(&t)
                && !title
                && (has_legal_form(&t) || large || owns_domain(&t, &domains))
            {
                top_names.push((li, legal_name(tokens, ph)));
            }
        }
    }
    let by_domain = top_names
        .iter()
        .position(|(_, ph)| owns_domain(&text_of(tokens, ph), &domains));
    let mut issuer_seen = false;
    for (k, (li, ph)) in top_names.into_iter().enumerate() {
        let t = text_of(tokens, &ph);
        let legal = has_legal_form(&t);
        if addressed(&t) {
            match who {
                Issuer::Buyer => sellers.push(t),
                Issuer::Seller => cands.push(Candidate {
                    words: ph,
                    score: SCORE_ADDRESSEE,
                    line: li,
                    why: "addressed",
                }),
            }
            continue;
        }
        let is_issuer = match by_domain {
            Some(d) => k == d,
            None => !issuer_seen,
        };
        if is_issuer {
            issuer_seen = true;
            match who {
                Issuer::Buyer => cands.push(Candidate {
                    words: ph,
                    score: letterhead,
                    line: li,
                    why: "letterhead",
                }),
                Issuer::Seller => sellers.push(t),
            }
        } else if legal {
            cands.push(Candidate {
                words: ph,
                score: SCORE_OTHER_NAME,
                line: li,
                why: "top name",
            });
        }
    }

    let model = order.buyer.as_ref().map(|f| f.value.clone());
    let mut best: Option<(f32, usize, String, Vec<usize>)> = None;
    for c in cands {
        tracing::trace!(target: "po_intake::party", "candidate {} {:.1} {:?}", c.why, c.score, text_of(tokens, &c.words));
        let text = text_of(tokens, &c.words)
            .trim_matches(|ch: char| matches!(ch, ',' | ';' | ':' | '*' | '-'))
            .trim()
            .to_string();
        if sellers.iter().any(|s| same_party(s, &text)) {
            continue;
        }
        let score = c.score
            + if has_legal_form(&text) {
                BONUS_LEGAL_FORM
            } else {
                0.0
            };
        if best
            .as_ref()
            .is_none_or(|(s, l, _, _)| score > *s || score == *s && c.line < *l)
        {
            best = Some((score, c.line, text, c.words));
        }
    }
    let model_score = match &model {
        // A legal form alone ("LIMITED") or a label is no name.
        Some(m) if !name_like(m) || label_like(m) || !has_plain_word(m) => {
            order.buyer = None;
            f32::MIN
        }
        Some(m) if !sellers.iter().any(|s| same_party(s, m)) => {
            SCORE_MODEL
                + if has_legal_form(m) {
                    BONUS_LEGAL_FORM
                } else {
                    0.0
                }
        }
        Some(_) => {
            // The model took the seller for the buyer.
            order.buyer = None;
            f32::MIN
        }
        None => f32::MIN,
    };
    tracing::trace!(target: "po_intake::party", "issuer {who:?} sellers {sellers:?} best {:?} model {model:?}",
        best.as_ref().map(|b| (b.0, &b.2)));
    if let Some((score, _, text, words)) = best {
        if score > model_score {
            let conf = if score >= SCORE_BUYER_LABEL { 0.8 } else { 0.6 };
            let src = span(tokens, &words, part, &text);
            order.buyer = Some(Field::new(text, conf, src));
        }
    }
}

/// The buyer's name in the spelling the document prints most often ([`usual_spelling`]).
pub fn respell_buyer(tokens: &[Token<'_>], layout: &Layout, order: &mut Order) {
    if let Some(b) = order.buyer.as_mut() {
        if let Some(usual) = usual_spelling(tokens, layout, &b.value) {
            b.value = usual;
        }
    }
}

/// A name printed several times, once with its words split apart by the PDF ("Mineral s")
/// or run together: the spelling printed most often, when it is not `name`'s. Same letters
/// and digits in the same order, case aside; nothing else changes.
fn usual_spelling(tokens: &[Token<'_>], layout: &Layout, name: &str) -> Option<String> {
    let key = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let want = key(name);
    if want.is_empty() {
        return None;
    }
    let mut seen: Vec<(String, usize)> = Vec::new();
    for line in &layout.lines {
        for start in 0..line.words.len() {
            let mut got = String::new();
            for (n, &w) in line.words[start..].iter().enumerate() {
                got.push_str(&key(tokens[w].text));
                if !want.starts_with(&got) {
                    break;
                }
                if got.len() == want.len() {
                    let text = text_of(tokens, &line.words[start..=start + n]);
                    match seen.iter_mut().find(|(t, _)| *t == text) {
                        Some((_, c)) => *c += 1,
                        None => seen.push((text, 1)),
                    }
                    break;
                }
            }
        }
    }
    let count = |t: &str| seen.iter().find(|(s, _)| s == t).map_or(0, |(_, c)| *c);
    let own = count(name.trim());
    let (best, n) = seen.into_iter().max_by_key(|(_, c)| *c)?;
    (n > own && best.split_whitespace().count() != name.split_whitespace().count()).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::testing::tokens;

    fn buyer_of(t: &[Token<'_>], model: Option<&str>) -> Option<String> {
        let layout = Layout::build(t);
        let mut order = Order {
            buyer: model.map(|m| Field::new(m.to_string(), 0.9, None)),
            ..Order::default()
        };
        apply(t, &layout, &mut order, 0);
        order.buyer.map(|f| f.value)
    }

    /// A line's words one space apart, from x = 50.
    fn row(text: &str) -> Vec<(&str, f32)> {
        let mut x = 50.0;
        text.split(' ')
            .map(|w| {
                let at = x;
                x += (w.chars().count() + 1) as f32 * 6.0;
                (w, at)
            })
            .collect()
    }

    #[test]
    fn a_name_split_apart_once_takes_the_spelling_printed_most_often() {
        let (a, b, c) = (
            row("SARDA ENERGY & MINERALS LIMITED"),
            row("Sarda Energy & Mineral s Limited"),
            row("Shipping Address : SARDA ENERGY & MINERALS LIMITED"),
        );
        let t = tokens(&[(1, &a), (6, &b), (10, &c)]);
        let layout = Layout::build(&t);
        assert_eq!(
            usual_spelling(&t, &layout, "Sarda Energy & Mineral s Limited").as_deref(),
            Some("SARDA ENERGY & MINERALS LIMITED")
        );
        // Spelled the usual way already, or printed once: nothing changes.
        assert_eq!(
            usual_spelling(&t, &layout, "SARDA ENERGY & MINERALS LIMITED"),
            None
        );
        assert_eq!(usual_spelling(&t, &layout, "Shipping Address"), None);
    }

    #[test]
    fn on_a_purchase_order_the_letterhead_is_the_buyer_and_the_vendor_block_is_not() {
        let t = tokens(&[
            (1, &[("Acme", 10.0), ("Widgets", 40.0), ("Inc.", 88.0)]),
            (2, &[("PURCHASE", 300.0), ("ORDER", 356.0)]),
            (
                4,
                &[
                    ("Vendor:", 10.0),
                    ("Bolt", 80.0),
                    ("Supply", 110.0),
                    ("LLC", 152.0),
                ],
            ),
            (5, &[("12", 80.0), ("Main", 96.0), ("St", 124.0)]),
            (20, &[("Qty", 10.0), ("Item", 60.0), ("Price", 200.0)]),
            (21, &[("5", 10.0), ("AB-1", 60.0), ("2.00", 200.0)]),
        ]);
        assert_eq!(
            buyer_of(&t, Some("Bolt Supply LLC")).as_deref(),
            Some("Acme Widgets Inc.")
        );
    }

    #[test]
    fn the_party_the_terms_define_as_buyer_is_the_buyer() {
        // The letterhead names a division; the terms name the company, and the supplier.
        let (a, b, c) = (
            row("ACME FOODS - WEST DIVISION"),
            row("PURCHASE ORDER"),
            row("Acme Foods, LLC (\"Buyer\") hereby agrees to purchase from Bolt Supply Inc. (the \"Supplier\")"),
        );
        let t = tokens(&[(1, &a), (2, &b), (4, &c)]);
        assert_eq!(
            buyer_of(&t, Some("Bolt Supply Inc.")).as_deref(),
            Some("Acme Foods, LLC")
        );
        assert_eq!(defined_term("(\"Buyer\")"), Some(Issuer::Buyer));
        assert_eq!(defined_term("(Buyer)"), None);
    }

    #[test]
    fn on_an_invoice_the_bill_to_block_is_the_buyer_and_the_letterhead_is_not() {
        let t = tokens(&[
            (1, &[("Bolt", 10.0), ("Supply", 40.0), ("LLC", 82.0)]),
            (2, &[("INVOICE", 300.0), ("4711", 350.0)]),
            (4, &[("Bill", 10.0), ("to:", 40.0)]),
            (5, &[("Acme", 10.0), ("Widgets", 40.0), ("Inc.", 88.0)]),
            (6, &[("12", 10.0), ("Main", 26.0), ("St", 54.0)]),
            (20, &[("Qty", 10.0), ("Item", 60.0), ("Price", 200.0)]),
            (21, &[("5", 10.0), ("AB-1", 60.0), ("2.00", 200.0)]),
        ]);
        assert_eq!(
            buyer_of(&t, Some("Bolt Supply LLC")).as_deref(),
            Some("Acme Widgets Inc.")
        );
    }

    #[test]
    fn a_label_that_runs_on_into_a_longer_label_gives_no_name() {
        let t = tokens(&[
            (1, &[("Customer", 10.0), ("VAT", 62.0), ("Code", 86.0)]),
            (2, &[("FR79897756912", 10.0)]),
        ]);
        assert_eq!(buyer_of(&t, None), None);
    }

    #[test]
    fn the_title_in_the_largest_type_says_who_issued_the_document() {
        let t = tokens(&[
            (
                1,
                &[("Invoice", 10.0), ("date:", 60.0), ("1.2.2024", 100.0)],
            ),
            (3, &[("Purchase", 10.0), ("Order", 62.0)]),
        ]);
        assert_eq!(issuer(&t, &Layout::build(&t)), Some(Issuer::Buyer));
        let big = |text, x: f32, y: f32, h: f32| Token {
            text,
            page: 1,
            bbox: [x, y, x + 40.0, y + h],
        };
        let t = vec![
            big("Invoice", 10.0, 0.0, 20.0),
            big("Purchase", 10.0, 40.0, 8.0),
            big("Order", 60.0, 40.0, 8.0),
        ];
        assert_eq!(issuer(&t, &Layout::build(&t)), Some(Issuer::Seller));
    }
}
