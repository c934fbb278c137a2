//! The words people print over the columns of an order table, in English, German, French,
//! Dutch, Spanish and Italian, each mapped to the column's role.
//!
//! Generic by construction: every entry is an ordinary term of the trade in its language,
//! none is taken from one issuer's form. Matching is on normalised text (lowercase, accents
//! and punctuation dropped), longest phrase first, so "Unit price" is one price column and not
//! a unit column beside a price column.

use unicode_normalization::UnicodeNormalization;

/// What a table column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    LineNo,
    Sku,
    CustomerPart,
    Description,
    Quantity,
    Uom,
    UnitPrice,
    Amount,
    /// A known column that holds no contract field (dates, tax, discount, HS code, ...).
    Other,
}

impl Role {
    /// Columns whose values are numbers: what a row is anchored on.
    pub fn numeric(self) -> bool {
        matches!(self, Role::Quantity | Role::UnitPrice | Role::Amount)
    }
}

const LINE_NO: &[&str] = &[
    "line",
    "ligne",
    "linea",
    "regel",
    "riga",
    "ln",
    "line no",
    "line number",
    "line nr",
    "ln no",
    "pos",
    "position",
    "pos no",
    "posnr",
    "pos nr",
    "positie",
    "posicion",
    "posizione",
    "no",
    "nr",
    "n",
    "s no",
    "sno",
    "sr",
    "sr no",
    "srno",
    "sl",
    "sl no",
    "slno",
    "s n",
    "item line",
    "lfd nr",
    "#",
    "ln#",
];

const SKU: &[&str] = &[
    "item",
    "item no",
    "item number",
    "item code",
    "item id",
    "item nr",
    "items",
    "article",
    "article no",
    "article number",
    "art no",
    "art nr",
    "artikel",
    "artikelnummer",
    "artikel nr",
    "artikelnr",
    // "Pos | Nummer | Text | Menge": a column headed only "Nummer" holds the article's.
    "nummer",
    "material",
    "material no",
    "material number",
    "material code",
    "part",
    "part no",
    "part number",
    "part nr",
    "p n",
    "pn",
    "product",
    "product code",
    "product no",
    "product id",
    "code",
    "sku",
    "reference",
    "ref",
    "ref no",
    "référence",
    "codigo",
    "cod",
    "codice",
    "cod articolo",
    "code article",
    "codice articolo",
    "articolo",
    "articulo",
    "catalog no",
    "catalogue no",
    "cat no",
    "model",
    "model no",
    "vendor part",
    "vendor item",
    "supplier part",
    "supplier item",
    "mfr part",
    "mfr part no",
    "mfr part number",
    "mfg part",
    "mfg part no",
    "manufacturer part",
    "manufacturer part no",
    "manufacturer part number",
    "catalog",
    "catalogue",
    "your part",
    "your item",
    "your part no",
    "ihre artikelnummer",
    "ihre art nr",
    "votre reference",
    "su referencia",
    "uw artikelnummer",
    "item code no",
    "stock code",
    "stock number",
    "stock no",
    "stock nr",
    "stock item",
    "product number",
    "artikelcode",
    "artikelnummer lieferant",
    "referencia",
    "item sku",
    "style",
];

const CUSTOMER_PART: &[&str] = &[
    "customer part",
    "customer part no",
    "customer part number",
    "cust part",
    "cust part no",
    "customer item",
    "customer item no",
    "customer material",
    "buyer part",
    "buyer item",
    "our part",
    "our part no",
    "our item",
    "our item no",
    "our ref",
    "unsere artikelnummer",
    "unsere art nr",
    "notre reference",
    "nuestra referencia",
    "onze artikelnummer",
    "customer sku",
    "customer code",
    "cpn",
    "internal ref",
    "internal reference",
    "internal part",
    "internal part no",
    "internal code",
    "internal item",
    "our reference",
    "our code",
    "our material",
    "our article",
];

const DESCRIPTION: &[&str] = &[
    "description",
    "item description",
    "desc",
    "product description",
    "product name",
    "name",
    "particulars",
    "bezeichnung",
    "beschreibung",
    "artikelbezeichnung",
    "designation",
    "désignation",
    "libelle",
    "description article",
    "descripcion",
    "omschrijving",
    "descrizione",
    "item name",
    "material description",
    "details",
    "specification",
    "kurztext",
    "description of goods",
    "goods",
    "article description",
    "item details",
    "product details",
    "product",
    "denominacion",
    "denominazione",
    "description of material",
    "material description",
    "leistung",
    "text",
    "item description notes",
    "product service",
    "service description",
    "articles",
    "matl desc",
    "material desc",
    "item description",
    "material text",
    "item desc",
    "artikel bezeichnung",
    "article designation",
    "produkt beschreibung",
    "produktbeschreibung",
    "artikelbeschreibung",
    "artikel beschreibung",
    "leistungsbeschreibung",
    "produktbezeichnung",
];

const QUANTITY: &[&str] = &[
    "q",
    "q ta",
    "qt",
    "qtd",
    "qte cmd",
    "qty shipped",
    "qty",
    "quantity",
    "hoeveelheid",
    "qty ordered",
    "ordered",
    "order qty",
    "quantity ordered",
    "qte",
    "qté",
    "quantite",
    "quantité",
    "menge",
    "anzahl",
    "bestellmenge",
    "cantidad",
    "cant",
    "aantal",
    "quantita",
    "qta",
    "qty ord",
    "ord qty",
    "order quantity",
    "po qty",
    "ordered qty",
    "quant",
    "qnty",
    "qty req",
    "required qty",
    "requested qty",
    "nos",
    "quantity ordered ordered",
    "pieces",
    "qty uom",
];

const UOM: &[&str] = &[
    "unit",
    "uom",
    "u m",
    "um",
    "u o m",
    "me",
    "einheit",
    "mengeneinheit",
    "unite",
    "unité",
    "un",
    "ud",
    "uds",
    "unidad",
    "eenheid",
    "unita",
    "unit of measure",
    "measure",
    "meh",
    "u",
    "units",
    "per",
    "uoe",
    "unit measure",
    "pack",
    "emb",
];

const UNIT_PRICE: &[&str] = &[
    "unit price",
    "p unit",
    "prezzo unit",
    "stukprijs",
    "price",
    "rate",
    "unit cost",
    "cost",
    "net price",
    "unit net price",
    "price each",
    "each",
    "preis",
    "einzelpreis",
    "e preis",
    "ep",
    "stuckpreis",
    "stückpreis",
    "nettopreis",
    "prix",
    "prix unitaire",
    "pu",
    "p u",
    "prix unit",
    "precio",
    "precio unitario",
    "precio unit",
    "prijs",
    "stuksprijs",
    "eenheidsprijs",
    "prezzo",
    "prezzo unitario",
    "unit rate",
    "rate per unit",
    "basic rate",
    "unit value",
    "price per unit",
    "net unit price",
    "unit price net",
    "cost each",
    "unit prc",
    "u price",
    "rate unit",
    "unit price excl",
    "unit pr",
    "unit cost price",
    "price usd",
    "price eur",
    "unitprice",
    "rate inr",
    "unit price inr",
];

const AMOUNT: &[&str] = &[
    "amount",
    "total",
    "line total",
    "total price",
    "extended price",
    "ext price",
    "extension",
    "extended",
    "ext amount",
    "extended amount",
    "net amount",
    "net value",
    "value",
    "total amount",
    "betrag",
    "gesamtpreis",
    "gesamt",
    "gesamtbetrag",
    "summe",
    "wert",
    "nettobetrag",
    "nettowert",
    // "Netto" over a line's figures beside a "Preis" column: its net amount (German, Dutch).
    "netto",
    "montant",
    "montant ht",
    "total ht",
    "importe",
    "importe total",
    "total linea",
    "bedrag",
    "totaal",
    "importo",
    "net",
    "total value",
    "line amount",
    "amount usd",
    "amount eur",
    "amount inr",
    "total cost",
    "price total",
    "total net",
    "net total",
    "g preis",
    "gpreis",
    "line value",
    "taxable value",
    "total excl",
    "amount excl",
    "total inr",
    "amt",
    "ext",
    "subtotal line",
];

const OTHER: &[&str] = &[
    "delivery",
    "delivery date",
    "due date",
    "date",
    "disc",
    "discount",
    "disc %",
    "tax",
    "vat",
    "gst",
    "hsn",
    "hsn sac",
    "hsn code",
    // customs tariff numbers: a code on every row, never the item's
    "cn code",
    "hs code",
    "hts code",
    "tariff code",
    "customs code",
    "customs tariff",
    "commodity code",
    "taric",
    "taric code",
    "zolltarifnummer",
    "zolltarifnr",
    "warennummer",
    "statistische warennummer",
    "code douanier",
    "nomenclature douaniere",
    "codigo taric",
    "codice doganale",
    "goederencode",
    "sac",
    "igst",
    "cgst",
    "sgst",
    "rabatt",
    "remise",
    "descuento",
    "korting",
    "sconto",
    "weight",
    "batch",
    "lot",
    "req date",
    "need by",
    "ship date",
    "liefertermin",
    "lieferdatum",
    "fecha entrega",
    "fecha",
    "datum",
    "requested date",
    "promised date",
    "del date",
    "tax rate",
    "tax amount",
    "vat %",
    "mwst",
    "iva",
    "btw",
    "tva",
    "status",
    "received",
    "shipped",
    "backorder",
    "back order",
    "open",
    "balance",
    "mrp",
    "dept",
    "department",
    "account",
    "gl",
    "project",
    "cost center",
    "cost centre",
    "cost code",
    "cost element",
    "wbs",
    "dia",
    "size",
    "colour",
    "color",
    "remarks",
    "note",
    "notes",
    "comments",
    "tolerance",
    "plant",
    "ean",
    "upc",
    "barcode",
    "gtin",
    "origin",
    "schedule",
    "dlv date",
    "delivery schedule",
    "disc amt",
    "tax %",
    "gst %",
    "gst rate",
    "price unit",
    "price uom",
    "tax total",
    "total tax",
    "tax amount",
    "tax amt",
    "vat amount",
    "gst amount",
    "tax value",
    "vat total",
    "igst amount",
    "cgst amount",
    "sgst amount",
    "per unit",
    "price per",
    "pr unit",
    "preiseinheit",
    "pe",
];

/// Words of the legal form a company trades under (normalised: "L.P." is "lp", "S.p.A."
/// "spa"), in the languages our customers write: they end a company's name. Shared by the
/// party pass (where a name ends) and the rules (what to drop before comparing names; they
/// also drop a final Norwegian "AS", too common an English word to end a name here).
pub const LEGAL_FORMS: &[&str] = &[
    "inc",
    "incorporated",
    "llc",
    "llp",
    "lp",
    "ltd",
    "limited",
    "plc",
    "corp",
    "corporation",
    "co",
    "company",
    "pvt",
    "pty",
    "gmbh",
    "mbh",
    "ag",
    "kg",
    "ohg",
    "ug",
    "se",
    "sa",
    "sas",
    "sarl",
    "eurl",
    "srl",
    "spa",
    "sl",
    "bv",
    "nv",
    "oy",
    "ab",
    "aps",
    "kft",
    "sro",
    "spolka",
    "społka",
];

/// Labels that name the supplier's own code for an item on a buyer's PO ("Your material
/// number", "Vendor Material No", "Supplier Item", "Ihre Artikelnummer"): the code the
/// item is sold under, whatever the buyer's item column holds (that is the customer's part).
/// Normalised, without a trailing "no" / "number" / "#".
const SUPPLIER_CODE: &[&str] = &[
    "supplier item",
    "supplier part",
    "supplier material",
    "supplier article",
    "supplier code",
    "supplier item code",
    "supplier product code",
    "supplier ref",
    "supplier reference",
    "vendor item",
    "vendor part",
    "vendor material",
    "vendor article",
    "vendor code",
    "vendor item code",
    "vendor product code",
    "vendor ref",
    "vendor reference",
    "vendor catalog",
    "vendor catalogue",
    "your material",
    "your part",
    "your item",
    "your article",
    "your code",
    "your item code",
    "your product code",
    "your ref",
    "your reference",
    "ihre materialnummer",
    "ihre artikelnummer",
    "ihre art",
    "ihre teilenummer",
    "ihre referenz",
    "lieferantenartikelnummer",
    "lieferanten artikelnummer",
    "artikelnummer lieferant",
    "lief art",
    "votre reference",
    "votre ref",
    "votre code",
    "votre code article",
    "votre article",
    "reference fournisseur",
    "ref fournisseur",
    "code fournisseur",
    "article fournisseur",
    "su referencia",
    "su ref",
    "su codigo",
    "su material",
    "referencia proveedor",
    "ref proveedor",
    "codigo proveedor",
    "uw artikelnummer",
    "uw artikel",
    "uw referentie",
    "uw ref",
    "artikelnummer leverancier",
    "leveranciers artikelnummer",
    "lev art",
    "vostro codice",
    "vs codice",
    "vs cod",
    "vostro articolo",
    "codice fornitore",
    "cod fornitore",
    "articolo fornitore",
];

static SUPPLIER_CODES: std::sync::LazyLock<std::collections::HashSet<String>> =
    std::sync::LazyLock::new(|| SUPPLIER_CODE.iter().map(|p| normalise(p)).collect());

/// Is `label` one that names the supplier's code ("Vendor Material No.", "Your part #")?
pub fn is_supplier_code(label: &str) -> bool {
    let n = normalise(label);
    let mut words: Vec<&str> = n.split(' ').collect();
    while let Some(last) = words.last() {
        if [
            "no", "nr", "num", "number", "nummer", "numero", "#", "n", "no.",
        ]
        .contains(last)
        {
            words.pop();
        } else {
            break;
        }
    }
    words.len() >= 2 && SUPPLIER_CODES.contains(&words.join(" "))
}

/// The longest run of words at the start of `words` that is a supplier-code label, by its
/// length in words.
pub fn supplier_code_label(words: &[&str]) -> Option<usize> {
    (2..=words.len().min(5))
        .rev()
        .find(|&k| is_supplier_code(&words[..k].join(" ")))
}

/// Lowercase, accents dropped, punctuation dropped ('.', ':', '#' kept as '#'), separators
/// ('/', '-', '_') as spaces, spaces folded.
pub fn normalise(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    // ASCII is its own decomposition and has no combining marks: skip the (slow) NFD pass,
    // as most words of most documents are ASCII and this runs for every word many times.
    let chars: Box<dyn Iterator<Item = char>> = if text.is_ascii() {
        Box::new(text.chars())
    } else {
        Box::new(text.nfd())
    };
    for c in chars {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        match c {
            '/' | '-' | '_' | '(' | ')' | '[' | ']' | '|' => s.push(' '),
            '#' => s.push_str(" # "),
            '%' => s.push_str(" % "),
            c if c.is_alphanumeric() || c.is_whitespace() => s.extend(c.to_lowercase()),
            _ => {}
        }
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every phrase, normalised once, with its role; a phrase listed under two roles keeps the
/// first in this order (a customer's part number is no plain code).
static LEXICON: std::sync::LazyLock<std::collections::HashMap<String, Role>> =
    std::sync::LazyLock::new(|| {
        let tables: [(&[&str], Role); 9] = [
            (CUSTOMER_PART, Role::CustomerPart),
            (LINE_NO, Role::LineNo),
            (SKU, Role::Sku),
            (DESCRIPTION, Role::Description),
            (QUANTITY, Role::Quantity),
            (UOM, Role::Uom),
            (UNIT_PRICE, Role::UnitPrice),
            (AMOUNT, Role::Amount),
            (OTHER, Role::Other),
        ];
        let mut map = std::collections::HashMap::new();
        for (list, role) in tables {
            for p in list {
                map.entry(normalise(p)).or_insert(role);
            }
        }
        map
    });

/// The role of a whole header label, if it is one.
pub fn role_of(label: &str) -> Option<Role> {
    // "Price/Unit" is the price per unit; "Price Unit" (SAP) is what the price is per.
    let squeezed: String = label
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    if matches!(
        squeezed.as_str(),
        "price/unit" | "cost/unit" | "preis/einheit" | "prix/unité"
    ) {
        return Some(Role::UnitPrice);
    }
    let n = normalise(label);
    if n.is_empty() {
        return None;
    }
    // '#' glued to a label ("Item #", "PO #") says "number": the label alone decides.
    let n = n
        .trim_end_matches(" #")
        .trim_start_matches("# ")
        .to_string();
    let n = if n.is_empty() { "#".to_string() } else { n };
    if let Some(r) = LEXICON.get(n.as_str()) {
        return Some(*r);
    }
    let words: Vec<&str> = n.split(' ').collect();
    // A tax figure's column under any wording ("Total Tax Amount", "IGST Value"): its figures
    // are no line amount. A price or amount with or without tax says so ("Amount excl. VAT").
    const TAX: &[&str] = &[
        "tax", "gst", "igst", "cgst", "sgst", "utgst", "vat", "mwst", "ust", "iva", "tva", "btw",
    ];
    const BESIDE_TAX: &[&str] = &[
        "excl", "incl", "ex", "before", "after", "without", "with", "w", "o", "net", "gross",
        "plus", "zzgl", "inkl", "exkl", "ohne", "mit", "ht", "ttc", "sin", "con", "senza",
    ];
    const FIGURE: &[&str] = &[
        "amount", "amt", "value", "total", "sum", "betrag", "wert", "montant", "importe", "bedrag",
        "importo", "valor", "valeur",
    ];
    if words.len() >= 2
        && words.iter().any(|w| TAX.contains(w))
        && words.iter().any(|w| FIGURE.contains(w))
        && !words.iter().any(|w| BESIDE_TAX.contains(w))
    {
        return Some(Role::Other);
    }
    // A label with a trailing currency or unit note ("Amount USD", "Price (EUR)", "Qty (pcs)").
    if words.len() >= 2 {
        let last = words[words.len() - 1];
        const NOTES: &[&str] = &[
            "usd", "eur", "gbp", "inr", "chf", "cad", "aud", "jpy", "cny", "sek", "nok", "dkk",
            "pln", "czk", "huf", "mxn", "brl", "zar", "nzd", "sgd", "hkd", "aed", "sar", "rs",
            "pcs", "ea", "ex", "incl", "excl", "net", "$", "€", "£", "₹",
        ];
        if NOTES.contains(&last) {
            return role_of(&words[..words.len() - 1].join(" "));
        }
    }
    None
}

/// Words that end an item table when they open a line.
pub fn ends_table(line_text: &str) -> bool {
    let n = normalise(line_text);
    const STARTS: &[&str] = &[
        "total",
        "subtotal",
        "sub total",
        "grand total",
        "net total",
        "summe",
        "gesamt",
        "gesamtbetrag",
        "netto",
        "nettosumme",
        "brutto",
        "zwischensumme",
        "total ht",
        "totaal",
        "subtotaal",
        "importe total",
        "amount due",
        "balance due",
        "sous total",
        "totale",
        "imponibile",
        "base imponible",
        "total amount",
        "order total",
        "total order",
        "total value",
        "po total",
        "terms and conditions",
        "terms conditions",
        "amount in words",
        "rupees",
        "total before tax",
        "net amount",
        "total net",
        "total qty",
        "total quantity",
        // SAP's "Tot.net item val. excl. tax" (the full stop goes in normalising).
        "totnet",
    ];
    STARTS
        .iter()
        .any(|p| n == *p || n.starts_with(&format!("{p} ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_in_six_languages_map_to_their_roles() {
        assert_eq!(role_of("Unit Price"), Some(Role::UnitPrice));
        assert_eq!(role_of("Menge"), Some(Role::Quantity));
        assert_eq!(role_of("Désignation"), Some(Role::Description));
        assert_eq!(role_of("Cantidad"), Some(Role::Quantity));
        assert_eq!(role_of("Omschrijving"), Some(Role::Description));
        assert_eq!(role_of("Prezzo unitario"), Some(Role::UnitPrice));
        assert_eq!(role_of("Amount (USD)"), Some(Role::Amount));
        assert_eq!(role_of("Item #"), Some(Role::Sku));
        assert_eq!(role_of("Qty."), Some(Role::Quantity));
        assert_eq!(role_of("U/M"), Some(Role::Uom));
        assert_eq!(role_of("Customer Part No."), Some(Role::CustomerPart));
        assert_eq!(role_of("Hello"), None);
    }

    #[test]
    fn the_suppliers_code_is_named_in_six_languages_and_a_vendor_number_is_not_one() {
        for l in [
            "Vendor Material No:",
            "Your material number",
            "Supplier Item",
            "Ihre Artikelnummer",
            "Votre référence",
            "Su referencia",
            "Uw artikelnummer",
            "Vs. codice",
        ] {
            assert!(is_supplier_code(l), "{l}");
        }
        for l in ["Vendor#", "Vendor", "Your order", "Item", "Supplier"] {
            assert!(!is_supplier_code(l), "{l}");
        }
        assert_eq!(
            supplier_code_label(&["Supplier", "Item", "4000287391"]),
            Some(2)
        );
    }

    #[test]
    fn a_german_product_description_header_is_one_description_label() {
        for label in [
            "Produkt Beschreibung",
            "Produktbeschreibung",
            "Artikelbeschreibung",
        ] {
            assert_eq!(role_of(label), Some(Role::Description), "{label}");
        }
    }

    #[test]
    fn a_price_per_unit_written_with_a_slash_is_the_unit_price() {
        assert_eq!(role_of("Price/Unit"), Some(Role::UnitPrice));
        assert_eq!(role_of("Price / unit"), Some(Role::UnitPrice));
        assert_ne!(role_of("Price Unit"), Some(Role::UnitPrice));
        // An accounting code beside the prices is no price.
        assert_eq!(role_of("Cost Code"), Some(Role::Other));
    }

    #[test]
    fn a_manufacturers_part_number_and_a_catalog_number_head_code_columns() {
        for label in ["Mfr Part No.", "Manufacturer Part Number", "Catalog #"] {
            assert_eq!(role_of(label), Some(Role::Sku), "{label}");
        }
    }

    #[test]
    fn a_tax_figure_is_no_line_amount_but_an_amount_beside_tax_is() {
        assert_eq!(role_of("Total Tax Amount"), Some(Role::Other));
        assert_eq!(role_of("IGST Value"), Some(Role::Other));
        assert_eq!(role_of("MwSt. Betrag"), Some(Role::Other));
        assert_ne!(role_of("Amount excl. VAT"), Some(Role::Other));
        assert_ne!(role_of("Montant HT"), Some(Role::Other));
        // No figure named: a run of labels that only ends with a tax column is left to be
        // split into its labels.
        assert_eq!(role_of("EAN Quantity UoM VAT"), None);
    }

    #[test]
    fn a_customs_tariff_column_is_no_item_code() {
        for l in [
            "CN code",
            "HS Code",
            "Zolltarifnummer",
            "Code douanier",
            "Commodity code",
        ] {
            assert_eq!(role_of(l), Some(Role::Other), "{l}");
        }
        assert_eq!(role_of("Item code"), Some(Role::Sku));
    }

    #[test]
    fn netto_heads_a_line_amount_and_opens_the_totals() {
        assert_eq!(role_of("Netto"), Some(Role::Amount));
        assert!(ends_table("Netto 87,39 €"));
        assert!(ends_table("Brutto 104,00 €"));
    }

    #[test]
    fn a_column_headed_nummer_holds_the_article_number() {
        assert_eq!(role_of("Nummer"), Some(Role::Sku));
        assert_eq!(role_of("Pos.-Nr."), Some(Role::LineNo));
    }

    #[test]
    fn totals_end_a_table() {
        assert!(ends_table("Sub Total 1,234.00"));
        assert!(ends_table("Gesamtbetrag EUR 12,00"));
        assert!(!ends_table("Totally blue widget"));
    }
}
