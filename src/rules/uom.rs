//! Units of measure: what a printed unit means, and how many catalog units it is.
//!
//! Orders print units the way their writers speak ("Stück", "Karton", "Pck", "rouleau",
//! "Nos"); catalogs carry codes (UN/ECE Recommendation 20/21: `EA`, `CS`, `PK`, `RL`). A
//! printed unit is resolved, first match wins, through:
//! 1. what a reviewer confirmed for this customer (learned, stored as `uom_aliases` rows),
//! 2. `rules.uom_synonyms` in the config (code -> words, for a whole installation),
//! 3. the built-in table below (six languages: EN, DE, FR, NL, ES, IT).
//!
//! Anything unresolved stays as printed (upper case), so an unknown word never equals a
//! catalog code by accident and the line is flagged `uom_mismatch`.
//!
//! Conversions: units of one dimension convert by fixed factors (DZ = 12 EA, G = 0.001 KG,
//! MM = 0.001 M, ML = 0.001 L); a package unit (case, box, pack, ...) converts to the
//! catalog's `EA` through the item's pack size (a case of 12); `rules.uom_conversions` adds
//! "one X is n EA" for an installation.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::RulesConfig;
pub use crate::master::text::fold_unit as fold;
use crate::master::{CatalogItem, MasterData};

/// Built-in synonyms: canonical code, then the words and other codes that mean it (compared
/// after [`fold`]: upper case, accents dropped, trailing dots dropped).
const BUILTIN: &[(&str, &[&str])] = &[
    (
        "EA",
        &[
            "EA", "EACH", "PCE", "C62", "H87", "NAR", "PC", "PCS", "PIECE", "PIECES", "ST", "STK",
            "STCK", "STUCK", "STUECK", "STUCKE", "UNIT", "UNITS", "U", "X", "NOS", "UN", "UNIDAD",
            "UNIDADES", "UD", "UDS", "UND", "STUKS", "STUK", "PZ", "PEZZO", "PEZZI", "PZA",
            "PIEZA", "PIEZAS", "PIECE(S)", "PC(S)",
        ],
    ),
    (
        "CS",
        &[
            "CS", "CT", "CASE", "CASES", "CARTON", "CARTONS", "CTN", "KARTON", "KARTONS", "KRT",
            "KTN", "CAJA", "CAJAS", "DOOS", "CARTONE", "CARTONI", "COLIS",
        ],
    ),
    (
        "BX",
        &[
            "BX",
            "BOX",
            "BOXES",
            "BOITE",
            "BOITES",
            "SCHACHTEL",
            "SCATOLA",
            "SCATOLE",
        ],
    ),
    (
        "PK",
        &[
            "PK",
            "PA",
            "PACK",
            "PACKS",
            "PKG",
            "PCK",
            "PAK",
            "PKT",
            "PACKUNG",
            "PACKUNGEN",
            "PAKET",
            "PAQUET",
            "PAQUETS",
            "PAQ",
            "PAQUETE",
            "PAQUETES",
            "PAKKET",
            "PAKKETTEN",
            "PAKJE",
            "CONFEZIONE",
            "CONF",
            "PACCO",
            "PACCHI",
        ],
    ),
    (
        "RL",
        &[
            "RL", "ROLL", "ROLLS", "ROLLE", "ROLLEN", "ROULEAU", "ROULEAUX", "ROLLO", "ROLLOS",
            "ROL", "ROTOLO", "ROTOLI",
        ],
    ),
    (
        "KG",
        &[
            "KG",
            "KGM",
            "KGS",
            "KILO",
            "KILOS",
            "KILOGRAM",
            "KILOGRAMS",
            "KILOGRAMM",
            "KILOGRAMME",
            "KILOGRAMO",
            "KILOGRAMOS",
            "CHILO",
            "CHILOGRAMMO",
            "CHILOGRAMMI",
        ],
    ),
    (
        "G",
        &[
            "G", "GRM", "GR", "GRAM", "GRAMS", "GRAMM", "GRAMME", "GRAMMES", "GRAMO", "GRAMOS",
            "GRAMMO", "GRAMMI",
        ],
    ),
    (
        "M",
        &[
            "M", "MTR", "MTRS", "METER", "METERS", "METRE", "METRES", "METRO", "METROS", "METRI",
            "LFM", "LFDM",
        ],
    ),
    ("MM", &["MM", "MMT", "MILLIMETER", "MILLIMETRE"]),
    ("CM", &["CM", "CMT", "CENTIMETER", "CENTIMETRE"]),
    (
        "L",
        &[
            "L", "LTR", "LITER", "LITERS", "LITRE", "LITRES", "LITRO", "LITROS", "LITRI",
        ],
    ),
    ("ML", &["ML", "MLT", "MILLILITER", "MILLILITRE"]),
    (
        "PR",
        &[
            "PR", "PAIR", "PAIRS", "PAAR", "PAIRE", "PAIRES", "PAR", "PARES", "PAIO", "PAIA",
        ],
    ),
    (
        "DZ",
        &[
            "DZ", "DZN", "DOZ", "DOZEN", "DOZENS", "DUTZEND", "DOUZAINE", "DOCENA", "DOZIJN",
            "DOZZINA",
        ],
    ),
    (
        "SET",
        &[
            "SET", "SETS", "SATZ", "SATZE", "JEU", "JEUX", "JUEGO", "JUEGOS", "GIOCO", "KIT",
        ],
    ),
    (
        "BG",
        &[
            "BG",
            "BAG",
            "BAGS",
            "BEUTEL",
            "SACHET",
            "SACHETS",
            "SAC",
            "BOLSA",
            "BOLSAS",
            "ZAK",
            "ZAKKEN",
            "SACCHETTO",
            "SACCHETTI",
        ],
    ),
    (
        "BO",
        &[
            "BO",
            "BTL",
            "BOTTLE",
            "BOTTLES",
            "FLASCHE",
            "FLASCHEN",
            "BOUTEILLE",
            "BOUTEILLES",
            "BOTELLA",
            "BOTELLAS",
            "FLES",
            "FLESSEN",
            "BOTTIGLIA",
            "BOTTIGLIE",
        ],
    ),
];

/// Units that hold a number of "each" given by the catalog item's pack size.
const PACKAGES: &[&str] = &["CS", "BX", "PK", "SET", "BG"];

/// Fixed factors within one dimension: unit -> (base unit, how many base units one is).
const FIXED: &[(&str, &str, f64)] = &[
    ("EA", "EA", 1.0),
    ("DZ", "EA", 12.0),
    ("PR", "PR", 1.0),
    ("KG", "KG", 1.0),
    ("G", "KG", 0.001),
    ("M", "M", 1.0),
    ("CM", "M", 0.01),
    ("MM", "M", 0.001),
    ("L", "L", 1.0),
    ("ML", "L", 0.001),
];

/// Units measured rather than counted: a quantity with decimals is normal for them.
pub fn is_measure(code: &str) -> bool {
    matches!(code, "KG" | "G" | "M" | "CM" | "MM" | "L" | "ML")
}

/// A code of the built-in table (as opposed to an unknown word kept as printed).
pub fn is_known(code: &str) -> bool {
    BUILTIN.iter().any(|(c, _)| *c == code)
}

static BUILTIN_MAP: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    let mut m = HashMap::new();
    for (code, words) in BUILTIN {
        for w in *words {
            m.entry(*w).or_insert(*code);
        }
    }
    m
});

/// The canonical code of a printed unit from the built-in table alone; unknown units come
/// back folded.
pub fn canonical_uom(s: &str) -> String {
    let f = fold(s);
    match BUILTIN_MAP.get(f.as_str()) {
        Some(code) => (*code).to_string(),
        None => f,
    }
}

/// The canonical code of a printed unit for `customer_id`: learned aliases, then the
/// config's synonyms, then the built-in table.
pub fn resolve(
    printed: &str,
    customer_id: Option<&str>,
    master: &MasterData,
    cfg: &RulesConfig,
) -> String {
    let f = fold(printed);
    if let Some(code) = customer_id.and_then(|c| master.uom_alias(c, &f)) {
        return canonical_uom(code);
    }
    for (code, words) in &cfg.uom_synonyms {
        if fold(code) == f || words.iter().any(|w| fold(w) == f) {
            return canonical_uom(code);
        }
    }
    match BUILTIN_MAP.get(f.as_str()) {
        Some(code) => (*code).to_string(),
        None => f,
    }
}

/// How many catalog units one order unit (`order`, canonical) is for `item`; `None` when
/// they cannot be converted.
pub fn factor(order: &str, item: &CatalogItem, cfg: &RulesConfig) -> Option<f64> {
    let cat = resolve_plain(&item.uom, cfg);
    if order == cat {
        return Some(1.0);
    }
    // A package of the catalog's "each": the item's pack size says how many.
    if PACKAGES.contains(&order) && cat == "EA" && item.pack_size > 1.0 {
        return Some(item.pack_size);
    }
    let fixed = |u: &str| {
        FIXED
            .iter()
            .find(|(c, _, _)| *c == u)
            .map(|(_, b, f)| (*b, *f))
    };
    if let (Some((bo, fo)), Some((bc, fc))) = (fixed(order), fixed(&cat)) {
        if bo == bc {
            return Some(fo / fc);
        }
    }
    // The config's "one X is n EA".
    let in_each = |u: &str| -> Option<f64> {
        if let Some(("EA", f)) = fixed(u) {
            return Some(f);
        }
        cfg.uom_conversions
            .iter()
            .find(|(k, _)| resolve_plain(k, cfg) == u)
            .map(|(_, v)| *v)
            .filter(|v| v.is_finite() && *v > 0.0)
    };
    Some(in_each(order)? / in_each(&cat)?)
}

/// A unit's code through the config's synonyms and the built-in table (no customer).
fn resolve_plain(printed: &str, cfg: &RulesConfig) -> String {
    let f = fold(printed);
    for (code, words) in &cfg.uom_synonyms {
        if fold(code) == f || words.iter().any(|w| fold(w) == f) {
            return canonical_uom(code);
        }
    }
    canonical_uom(&f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(uom: &str, pack: f64) -> CatalogItem {
        CatalogItem {
            sku: "X".into(),
            description: String::new(),
            uom: uom.into(),
            unit_price: 1.0,
            currency: "EUR".into(),
            pack_size: pack,
            min_qty: 0.0,
            stock: None,
        }
    }

    #[test]
    fn printed_units_in_six_languages_resolve_to_codes() {
        for (printed, code) in [
            ("Stück", "EA"),
            ("pcs.", "EA"),
            ("Nos", "EA"),
            ("pièce", "EA"),
            ("unidad", "EA"),
            ("stuks", "EA"),
            ("Pz.", "EA"),
            ("C62", "EA"),
            ("Karton", "CS"),
            ("carton", "CS"),
            ("caja", "CS"),
            ("doos", "CS"),
            ("CT", "CS"),
            ("Box", "BX"),
            ("Pck", "PK"),
            ("Packung", "PK"),
            ("paquet", "PK"),
            ("PA", "PK"),
            ("Rolle", "RL"),
            ("rouleau", "RL"),
            ("rollo", "RL"),
            ("roll", "RL"),
            ("Paar", "PR"),
            ("Satz", "SET"),
            ("jeu", "SET"),
            ("Dutzend", "DZ"),
            ("kgs", "KG"),
            ("Liter", "L"),
            ("mtr", "M"),
        ] {
            assert_eq!(canonical_uom(printed), code, "{printed}");
        }
        assert_eq!(canonical_uom("Gebinde"), "GEBINDE");
    }

    #[test]
    fn config_synonyms_and_conversions() {
        let mut cfg = RulesConfig::default();
        cfg.uom_synonyms
            .insert("CS".into(), vec!["Gebinde".into(), "colli".into()]);
        cfg.uom_conversions.insert("BUNDLE".into(), 25.0);
        let master = MasterData::default();
        assert_eq!(resolve("GEBINDE", None, &master, &cfg), "CS");
        let ea = item("EA", 12.0);
        assert_eq!(factor("CS", &ea, &cfg), Some(12.0));
        assert_eq!(factor("PK", &ea, &cfg), Some(12.0));
        assert_eq!(factor("DZ", &item("EA", 1.0), &cfg), Some(12.0));
        assert_eq!(factor("BUNDLE", &item("EA", 1.0), &cfg), Some(25.0));
        // A case of an item sold singly has no known size.
        assert_eq!(factor("CS", &item("EA", 1.0), &cfg), None);
        assert_eq!(factor("G", &item("KG", 1.0), &cfg), Some(0.001));
        assert_eq!(factor("KG", &item("M", 1.0), &cfg), None);
        assert_eq!(factor("EA", &item("PCE", 1.0), &cfg), Some(1.0));
    }
}
