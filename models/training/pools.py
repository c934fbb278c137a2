"""Value pools for synthetic purchase orders and master data.

Everything here is a pure function of a `random.Random` so that callers stay
deterministic given a seed. Shared by `fixtures/make_master.py` (catalog,
customers) and `models/training/generate.py` (documents).
"""

import random

# --------------------------------------------------------------------------- companies

US_NAMES = ["Acme", "Summit", "Great Lakes", "Ridgeline", "Keystone", "Lone Star", "Harbor", "Cascade",
            "Piedmont", "Redwood", "Bluegrass", "Iron Range", "Prairie", "Allegheny", "Tri-County",
            "Midwest", "Patriot", "Granite State", "Delta", "Westbrook", "Hartwell", "Conroy", "Brennan",
            "Whitfield", "Kessler", "Duval", "Ostrander", "Palmetto", "Sierra", "Mohawk"]
US_INDUSTRY = ["Manufacturing", "Machine Works", "Fabrication", "Packaging", "Plastics", "Foods",
               "Paper Mill", "Industries", "Tool & Die", "Metal Products", "Automation", "Castings",
               "Hydraulics", "Conveyor Systems", "Aerospace Components", "Water Authority", "Brewing Co."]
US_SUFFIX = ["Inc.", "LLC", "Corp.", "Co.", "Inc", "Corporation", ""]
UK_NAMES = ["Pennine", "Thames", "Severn", "Cotswold", "Northumbria", "Ashworth", "Barrow", "Kendal",
            "Whitby", "Marlow", "Clyde", "Tyne", "Hadley", "Fenwick", "Brampton"]
UK_INDUSTRY = ["Engineering", "Precision", "Process Systems", "Foods", "Castings", "Plant Hire",
               "Rail Services", "Water Services", "Packaging", "Composites"]
UK_SUFFIX = ["Ltd", "Ltd.", "Limited", "plc", "(UK) Ltd"]
DE_NAMES = ["Müller", "Schneider", "Becker", "Hoffmann", "Krause", "Brandt", "Vogel", "Lorenz",
            "Neumann", "Schäfer", "Rhein", "Elbe", "Weser", "Allgäu", "Schwaben", "Hansa"]
DE_INDUSTRY = ["Maschinenbau", "Antriebstechnik", "Kunststofftechnik", "Metallwerk", "Anlagenbau",
               "Fördertechnik", "Verpackung", "Stahlbau", "Elektrotechnik", "Präzisionsteile"]
DE_SUFFIX = ["GmbH", "GmbH & Co. KG", "AG", "KG", "GmbH"]
FR_NAMES = ["Dupont", "Lefèvre", "Moreau", "Rhône", "Loire", "Garonne", "Bernard", "Fontaine"]
FR_INDUSTRY = ["Industrie", "Mécanique", "Emballages", "Plasturgie", "Équipements"]
FR_SUFFIX = ["SAS", "S.A.", "SARL"]
NL_NAMES = ["Van Dijk", "De Vries", "Jansen", "Bakker", "Maas", "Zeeland"]
NL_INDUSTRY = ["Techniek", "Metaalbewerking", "Installaties", "Industrie"]
NL_SUFFIX = ["B.V.", "BV"]
IN_NAMES = ["Shree", "Bharat", "Deccan", "Ganga", "Sahyadri", "Kaveri", "Narmada", "Vishwa"]
IN_INDUSTRY = ["Engineering Works", "Industries", "Auto Components", "Forgings", "Pumps", "Textiles"]
IN_SUFFIX = ["Pvt. Ltd.", "Private Limited", "Ltd."]
AE_NAMES = ["Al Noor", "Gulf", "Emirates", "Al Mansoori", "Falcon", "Desert Rose", "Jebel Ali"]
AE_INDUSTRY = ["Industrial Supplies", "Oilfield Services", "Contracting", "Facilities Management",
               "Trading"]
AE_SUFFIX = ["LLC", "FZE", "FZCO", "L.L.C."]
# Spain and Italy: used by the multilingual `intl_form` family only (new keys, so the other
# families draw exactly as before).
ES_NAMES = ["Ibérica", "Levante", "Cantábrica", "Ebro", "Montserrat", "Guadalquivir", "Navarra", "Tajo"]
ES_INDUSTRY = ["Industrial", "Mecanizados", "Suministros Industriales", "Envases", "Montajes"]
ES_SUFFIX = ["S.A.", "S.L.", "S.L.U."]
IT_NAMES = ["Padana", "Brianza", "Adriatica", "Lombarda", "Vesuvio", "Dolomiti", "Tirrena", "Emiliana"]
IT_INDUSTRY = ["Meccanica", "Impianti", "Imballaggi", "Forniture Industriali", "Automazione"]
IT_SUFFIX = ["S.p.A.", "S.r.l.", "Srl"]

COUNTRY_POOLS = {
    "US": (US_NAMES, US_INDUSTRY, US_SUFFIX),
    "UK": (UK_NAMES, UK_INDUSTRY, UK_SUFFIX),
    "DE": (DE_NAMES, DE_INDUSTRY, DE_SUFFIX),
    "FR": (FR_NAMES, FR_INDUSTRY, FR_SUFFIX),
    "NL": (NL_NAMES, NL_INDUSTRY, NL_SUFFIX),
    "IN": (IN_NAMES, IN_INDUSTRY, IN_SUFFIX),
    "AE": (AE_NAMES, AE_INDUSTRY, AE_SUFFIX),
    "ES": (ES_NAMES, ES_INDUSTRY, ES_SUFFIX),
    "IT": (IT_NAMES, IT_INDUSTRY, IT_SUFFIX),
}
COUNTRY_CURRENCY = {"US": "USD", "UK": "GBP", "DE": "EUR", "FR": "EUR", "NL": "EUR", "IN": "INR", "AE": "AED",
                    "ES": "EUR", "IT": "EUR"}
TLD = {"US": ["com"], "UK": ["co.uk", "com"], "DE": ["de", "com"], "FR": ["fr"], "NL": ["nl"],
       "IN": ["in", "co.in"], "AE": ["ae", "com"], "ES": ["es", "com"], "IT": ["it", "com"]}


def company_name(rng: random.Random, country: str) -> str:
    names, ind, suf = COUNTRY_POOLS[country]
    n = rng.choice(names)
    if country == "DE" and rng.random() < 0.5:
        n = n + " " + rng.choice(["Hydraulik", "Werkzeug", "Technik"]) if rng.random() < 0.3 else n
    i = rng.choice(ind)
    parts = [n, i, "" if i.endswith("Co.") else rng.choice(suf)]
    return " ".join(p for p in parts if p).replace("  ", " ")


def slug(s: str) -> str:
    import unicodedata
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()
    out = []
    for ch in s:
        if ch.isalnum():
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")


def email_domain(rng: random.Random, name: str, country: str) -> str:
    words = [w for w in slug(name).split("-") if w not in ("inc", "llc", "co", "corp", "ltd", "gmbh", "kg", "ag",
                                                          "sas", "sa", "sarl", "bv", "pvt", "plc", "fze", "fzco",
                                                          "l", "c", "limited", "private", "corporation", "uk")]
    base = "-".join(words[:2]) if rng.random() < 0.6 else "".join(w[:6] for w in words[:2])
    return base + "." + rng.choice(TLD[country])


# --------------------------------------------------------------------------- people

FIRST = {"US": ["James", "Linda", "Robert", "Maria", "Kevin", "Ashley", "Tom", "Denise", "Carlos", "Jennifer"],
         "UK": ["Oliver", "Claire", "Gareth", "Fiona", "Nigel", "Sophie", "Ian"],
         "DE": ["Jürgen", "Katrin", "Stefan", "Anja", "Matthias", "Sabine", "Uwe", "Petra"],
         "FR": ["Julien", "Camille", "Nicolas", "Élodie"],
         "NL": ["Jeroen", "Sanne", "Pieter", "Femke"],
         "IN": ["Rajesh", "Priya", "Suresh", "Anita", "Vikram"],
         "AE": ["Ahmed", "Fatima", "Omar", "Rashid", "Priya"],
         "ES": ["Javier", "Lucía", "Carmen", "Alejandro", "Marta"],
         "IT": ["Giuseppe", "Francesca", "Luca", "Chiara", "Marco"]}
LAST = {"US": ["Miller", "Johnson", "Garcia", "Nguyen", "O'Brien", "Kowalski", "Patel", "Reed"],
        "UK": ["Hughes", "Thompson", "Evans", "Walsh", "Cartwright"],
        "DE": ["Schmidt", "Weber", "Wagner", "Fischer", "Koch", "Richter"],
        "FR": ["Martin", "Petit", "Roux", "Girard"],
        "NL": ["de Boer", "Visser", "Smit", "Mulder"],
        "IN": ["Sharma", "Iyer", "Kulkarni", "Reddy", "Mehta"],
        "AE": ["Al Hashimi", "Khan", "Al Suwaidi", "Nair"],
        "ES": ["García", "Fernández", "López", "Martínez", "Ruiz"],
        "IT": ["Rossi", "Bianchi", "Colombo", "Ferrari", "Esposito"]}


def person(rng, country):
    return f"{rng.choice(FIRST[country])} {rng.choice(LAST[country])}"


def phone(rng, country):
    d = lambda n: "".join(str(rng.randint(0, 9)) for _ in range(n))
    # Spain and Italy apart: the dict below draws every country's number (the draws of the
    # older countries must stay as they were)
    if country == "ES":
        return f"+34 9{rng.randint(1, 8)} {d(3)} {d(2)} {d(2)}"
    if country == "IT":
        return f"+39 0{rng.randint(2, 99)} {d(7)}"
    return {"US": f"({rng.randint(201, 989)}) {d(3)}-{d(4)}", "UK": f"+44 {rng.randint(113, 1999)} {d(6)}",
            "DE": f"+49 {rng.randint(30, 9999)} {d(6)}", "FR": f"+33 {rng.randint(1, 5)} {d(2)} {d(2)} {d(2)} {d(2)}",
            "NL": f"+31 {rng.randint(10, 99)} {d(3)} {d(4)}", "IN": f"+91 {rng.randint(20, 99)} {d(4)} {d(4)}",
            "AE": f"+971 4 {d(3)} {d(4)}"}[country]


# --------------------------------------------------------------------------- addresses

US_CITIES = [("Cleveland", "OH", "441"), ("Toledo", "OH", "436"), ("Grand Rapids", "MI", "495"), ("Milwaukee", "WI", "532"),
             ("Peoria", "IL", "616"), ("Fort Wayne", "IN", "468"), ("Houston", "TX", "770"), ("Charlotte", "NC", "282"),
             ("Spartanburg", "SC", "293"), ("Erie", "PA", "165"), ("Tulsa", "OK", "741"), ("Reno", "NV", "895"),
             ("Portland", "OR", "972"), ("Rochester", "NY", "146"), ("Chattanooga", "TN", "374"), ("Wichita", "KS", "672")]
US_STREETS = ["Industrial Pkwy", "Commerce Dr", "Main St", "Enterprise Blvd", "Route 9", "Mill Rd", "Harbor Way",
              "Technology Dr", "Airport Rd", "E 55th St", "Factory Ln", "Distribution Ct"]
UK_CITIES = [("Sheffield", "S9 1XH"), ("Leeds", "LS11 5QE"), ("Bristol", "BS2 0JY"), ("Coventry", "CV3 4FX"),
             ("Glasgow", "G51 2LT"), ("Newcastle upon Tyne", "NE6 3PL"), ("Derby", "DE24 8BG"), ("Swindon", "SN3 4TU")]
UK_STREETS = ["Unit 4, Riverside Industrial Estate", "Attercliffe Road", "Beeston Royd Ind. Est.", "Avonmouth Way",
              "Bayton Road", "Hillington Park", "Walker Road", "Stirling Road"]
DE_CITIES = [("Stuttgart", "70565"), ("Augsburg", "86167"), ("Bielefeld", "33609"), ("Chemnitz", "09114"),
             ("Dortmund", "44149"), ("Mannheim", "68219"), ("Nürnberg", "90451"), ("Kassel", "34123"), ("Hamburg", "21107")]
DE_STREETS = ["Industriestraße", "Gewerbepark", "Hauptstraße", "Am Hafen", "Robert-Bosch-Str.", "Carl-Benz-Straße",
              "Werkstraße", "Im Gewerbegebiet"]
FR_CITIES = [("Lyon", "69007"), ("Toulouse", "31200"), ("Lille", "59000"), ("Nantes", "44300")]
FR_STREETS = ["rue de l'Industrie", "avenue Jean Jaurès", "ZI Les Mercières", "chemin du Moulin"]
NL_CITIES = [("Eindhoven", "5651 GH"), ("Rotterdam", "3089 JB"), ("Tilburg", "5047 TK")]
NL_STREETS = ["Industrieweg", "Havenstraat", "De Run"]
IN_CITIES = [("Pune", "Maharashtra", "411026"), ("Chennai", "Tamil Nadu", "600058"), ("Coimbatore", "Tamil Nadu", "641021"),
             ("Ahmedabad", "Gujarat", "382445")]
IN_STREETS = ["MIDC Bhosari", "Plot No. 27, Ambattur Industrial Estate", "SIDCO Industrial Estate", "GIDC Vatva Phase II"]
ES_CITIES = [("Zaragoza", "50014"), ("Valencia", "46024"), ("Bilbao", "48015"), ("Sevilla", "41016")]
ES_STREETS = ["Polígono Industrial El Sequero, nave", "Calle de la Industria", "Avda. de los Metales", "Camino Viejo"]
IT_CITIES = [("Brescia", "25125", "BS"), ("Bologna", "40132", "BO"), ("Vicenza", "36100", "VI"), ("Torino", "10156", "TO")]
IT_STREETS = ["Via dell'Industria", "Via Enrico Fermi", "Zona Industriale, Via Roma", "Viale dell'Artigianato"]
AE_AREAS = ["Jebel Ali Free Zone, Dubai", "Al Quoz Industrial Area 3, Dubai", "Mussafah M-12, Abu Dhabi",
            "Hamriyah Free Zone, Sharjah"]


def address(rng: random.Random, country: str):
    """Returns a list of address lines (without the company name)."""
    if country == "US":
        c, st, z = rng.choice(US_CITIES)
        lines = [f"{rng.randint(100, 9899)} {rng.choice(US_STREETS)}"]
        if rng.random() < 0.25:
            lines.append(rng.choice(["Dock 3", "Suite 200", "Building B", "Receiving Dept."]))
        lines.append(f"{c}, {st} {z}{rng.randint(10, 99)}")
        if rng.random() < 0.3:
            lines.append("USA")
        return lines
    if country == "UK":
        c, pc = rng.choice(UK_CITIES)
        s = rng.choice(UK_STREETS)
        return [s if s.startswith(("Unit", "Hill", "Bee")) else f"{rng.randint(1, 220)} {s}", c, pc, "United Kingdom"][: 4 if rng.random() < 0.5 else 3]
    if country == "DE":
        c, plz = rng.choice(DE_CITIES)
        lines = [f"{rng.choice(DE_STREETS)} {rng.randint(1, 140)}", f"{plz} {c}"]
        if rng.random() < 0.4:
            lines.append("Deutschland")
        return lines
    if country == "FR":
        c, cp = rng.choice(FR_CITIES)
        return [f"{rng.randint(1, 90)} {rng.choice(FR_STREETS)}", f"{cp} {c}", "France"]
    if country == "NL":
        c, pc = rng.choice(NL_CITIES)
        return [f"{rng.choice(NL_STREETS)} {rng.randint(1, 80)}", f"{pc} {c}", "Nederland"]
    if country == "IN":
        c, state, pin = rng.choice(IN_CITIES)
        return [rng.choice(IN_STREETS), f"{c} - {pin}", f"{state}, India"]
    if country == "AE":
        return [f"Warehouse {rng.randint(1, 40)}, Plot {rng.choice('ABCDEFGS')}{rng.randint(1, 9)}-{rng.randint(10, 99)}",
                rng.choice(AE_AREAS), "United Arab Emirates"]
    if country == "ES":
        c, cp = rng.choice(ES_CITIES)
        return [f"{rng.choice(ES_STREETS)} {rng.randint(1, 90)}", f"{cp} {c}", "España"]
    if country == "IT":
        c, cap, pr = rng.choice(IT_CITIES)
        return [f"{rng.choice(IT_STREETS)}, {rng.randint(1, 90)}", f"{cap} {c} ({pr})", "Italia"]
    raise ValueError(country)


# --------------------------------------------------------------------------- products

BEARINGS = [("6204", "20x47x14"), ("6205", "25x52x15"), ("6206", "30x62x16"), ("6305", "25x62x17"),
            ("6202", "15x35x11"), ("6003", "17x35x10"), ("6308", "40x90x23"), ("6210", "50x90x20"),
            ("6001", "12x28x8"), ("6302", "15x42x13")]
BRG_SUFFIX = [("2RS", "2 rubber seals"), ("ZZ", "2 metal shields"), ("C3", "open, C3 clearance"), ("2RS-C3", "sealed, C3 clearance")]
BRG_MFR = [("SKF", "{b}-2RSH"), ("FAG", "{b}-C-2HRS"), ("NSK", "{b}DDU"), ("NTN", "{b}LLU"), ("Timken", "{b}-2RS")]

FST_TYPES = [("HHCS", "Hex head cap screw DIN 933", "A2"), ("SHCS", "Socket head cap screw DIN 912", "12.9"),
             ("HN", "Hex nut DIN 934", "A2"), ("FW", "Flat washer DIN 125", "A2"), ("NYL", "Nyloc nut DIN 985", "8"),
             ("CSK", "Countersunk screw ISO 10642", "10.9"), ("TR", "Threaded rod DIN 976 1m", "4.8")]
FST_SIZES = ["M4", "M5", "M6", "M8", "M10", "M12", "M16"]
FST_LEN = [10, 12, 16, 20, 25, 30, 35, 40, 50, 60, 80, 100]
FST_MAT = {"A2": "stainless steel A2-70", "A4": "stainless steel A4-80", "8.8": "steel 8.8 zinc plated",
           "12.9": "alloy steel 12.9 black oxide", "10.9": "steel 10.9 zinc flake", "8": "steel class 8 zinc",
           "4.8": "steel 4.8 zinc plated"}

ELECTRICAL = [("Terminal block, feed-through, 2.5mm², grey", "Phoenix Contact", "3031212"),
              ("Terminal block, feed-through, 4mm², grey", "Phoenix Contact", "3031364"),
              ("Push-in terminal 2-conductor, 2.5mm²", "WAGO", "2002-1201"),
              ("Lever connector, 3-conductor, 4mm²", "WAGO", "221-413"),
              ("Cable tie 4.8x200mm black UV resistant, pk 100", "Thomas & Betts", "TY525MX"),
              ("Cable gland M20x1.5 polyamide IP68", "Lapp", "53111020"),
              ("Miniature circuit breaker 1P C16 6kA", "Schneider Electric", "A9F74116"),
              ("Miniature circuit breaker 3P C32 10kA", "ABB", "S203-C32"),
              ("Contactor 3P 12A 24VDC coil", "Siemens", "3RT2016-1BB41"),
              ("Inductive proximity sensor M12 PNP NO 4mm", "ifm", "IFS204"),
              ("Control cable 4G1.5 ÖLFLEX CLASSIC 110, per m", "Lapp", "1119304"),
              ("LED panel indicator 22mm green 24V", "Eaton", "M22-LED-G"),
              ("DIN rail 35x7.5mm perforated, 2m", "Phoenix Contact", "0801733"),
              ("Power supply 24VDC 5A DIN rail", "Mean Well", "HDR-100-24"),
              ("Heat shrink tubing 9.5mm black 1.2m", "3M", "FP-301"),
              ("Ferrule insulated 1.5mm² red, pk 500", "Weidmüller", "9025910000"),
              ("Emergency stop push button 40mm twist release", "Schneider Electric", "XB5AS8445"),
              ("Relay 2CO 24VDC with socket", "Finder", "40.52.9.024.0000"),
              ("Insulation tape 19mm x 20m black", "3M", "Temflex 1500"),
              ("Wire duct 40x60mm grey, 2m", "Panduit", "G4X3LG6")]
SAFETY = [("Nitrile disposable gloves, powder-free, size {s}, box of 100", "Ansell", "TouchNTuff 92-600"),
          ("Cut resistant gloves level C, size {s}", "Ansell", "HyFlex 11-542"),
          ("Safety glasses clear anti-fog", "3M", "SecureFit SF201AF"),
          ("Ear plugs foam corded, pk 100 pairs", "3M", "1110"),
          ("Hi-vis vest class 2 orange, size {s}", "Portwest", "C470"),
          ("Hard hat vented white with ratchet", "MSA", "V-Gard 10034020"),
          ("FFP2 respirator mask with valve, box of 10", "3M", "8822"),
          ("Safety boot S3 composite toe, size {n}", "Uvex", "6846"),
          ("First aid kit industrial 50 person", "Reliance Medical", "BS8599-1"),
          ("Chemical splash goggles indirect vent", "Uvex", "9302-245")]
FLUID = [("Hydraulic hose 1/2\" 2SN, per metre", "Parker", "302-8"),
         ("Hydraulic fitting JIC female swivel 1/2\"", "Parker", "06Z-S8"),
         ("Pneumatic cylinder ISO 6432 25x100 double acting", "Festo", "DSNU-25-100-PPV-A"),
         ("Push-in fitting straight 8mm x G1/4", "SMC", "KQ2H08-02AS"),
         ("Polyurethane tubing 8x5.5mm blue, 20m roll", "Festo", "PUN-H-8X1,25-BL"),
         ("Solenoid valve 5/2 G1/4 24VDC", "SMC", "SY5120-5DZ-01"),
         ("Filter regulator G1/2 0.5-10 bar with gauge", "Norgren", "B74G-4GK-AD3-RMN"),
         ("Ball valve 3-piece stainless 1\" BSP", "Bürkert", "Typ 2652"),
         ("Quick coupling ISO-B 1/2\" steel", "Faster", "3FFI 1/2"),
         ("Hydraulic oil HLP 46, 20 L pail", "Shell", "Tellus S2 MX 46"),
         ("O-ring kit NBR 70 metric, 382 pcs", "Parker", "ORK-382"),
         ("Pressure gauge 0-250 bar 63mm glycerine filled", "WIKA", "213.53.063")]
TOOLS = [("Hex key set metric 1.5-10mm, 9 pcs", "Wera", "05022086001"),
         ("Torque wrench 1/2\" 40-200 Nm", "Gedore", "4550-01"),
         ("Combination spanner {n}mm", "Stahlwille", "13"),
         ("Screwdriver set VDE insulated 7 pcs", "Wiha", "36295"),
         ("Cordless drill 18V brushless, body only", "Makita", "DDF484Z"),
         ("HSS twist drill {n}mm DIN 338, pk 10", "Guhring", "651"),
         ("Cutting disc 125x1.0x22.23 inox, pk 25", "Klingspor", "A 60 EXTRA"),
         ("Flap disc 125mm P80 zirconia", "3M", "Cubitron II 967A"),
         ("Threadlocker medium strength 50ml", "Loctite", "243 1370555"),
         ("Multi-purpose grease NLGI 2, 400g cartridge", "SKF", "LGMT 2/0.4"),
         ("Digital caliper 0-150mm IP67", "Mitutoyo", "500-706-20"),
         ("Wire stripper automatic 0.2-6mm²", "Knipex", "12 62 180"),
         ("Tape measure 5m x 25mm", "Stanley", "FatMax 0-33-720"),
         ("Shop towels blue, roll of 200", "Kimberly-Clark", "WypAll L40"),
         ("Marking paint fluorescent orange 500ml", "Rust-Oleum", "2366")]
SIZES = ["S", "M", "L", "XL", "9", "10"]


def _uom_for(desc: str, rng) -> str:
    d = desc.lower()
    if "per m" in d or "per metre" in d:
        return "M"
    if "roll" in d or "tape" in d:
        return rng.choice(["RL", "EA"])
    if "box of" in d or "pk " in d or ", pk" in d:
        return rng.choice(["BOX", "PK"])
    if "pail" in d:
        return "EA"
    if "gloves" in d and "box" not in d or "boot" in d:
        return "PR"
    return "EA"


def catalog_items(rng: random.Random, n: int = 400):
    """Realistic MRO catalog rows: dicts with sku, description, uom, unit_price, pack_size,
    mfr, mfr_part, family."""
    items, seen = [], set()

    def add(sku, desc, uom, price, pack, mfr, mpn, fam):
        if sku in seen:
            return
        seen.add(sku)
        items.append(dict(sku=sku, description=desc, uom=uom, unit_price=round(price, 2), pack_size=pack,
                          mfr=mfr, mfr_part=mpn, family=fam))

    # bearings
    for b, dims in BEARINGS:
        for suf, what in BRG_SUFFIX:
            mfr, pat = rng.choice(BRG_MFR)
            add(f"BRG-{b}-{suf}", f"Deep groove ball bearing {b}-{suf}, {dims}mm, {what}", "EA",
                rng.uniform(2.5, 38), 1, mfr, pat.format(b=b), "bearings")
    for ucp in ["UCP204", "UCP205", "UCP206", "UCF205", "UCFL204"]:
        add(f"BRG-{ucp}", f"Pillow block bearing unit {ucp}, cast iron housing", "EA", rng.uniform(14, 55), 1,
            "NTN", ucp + "D1", "bearings")
    # fasteners
    for code, what, grade in FST_TYPES:
        for sz in FST_SIZES:
            lens = [None] if code in ("HN", "FW", "NYL", "TR") else sorted(rng.sample(FST_LEN, 6))
            grades = [grade, rng.choice([g for g in ["A2", "A4", "8.8"] if g != grade])]
            for ln in lens:
                for g in grades:
                    if ln is not None and g != grade and rng.random() < 0.35:
                        continue
                    dim = f"{sz}X{ln}" if ln else sz
                    sku = f"FST-{dim}-{g.replace('.', '')}" if code == "HHCS" else f"FST-{code}-{dim}-{g.replace('.', '')}"
                    box = rng.choice([0, 100, 100, 50, 25, 200]) if code != "TR" else 0
                    desc = f"{what} {sz}{'x' + str(ln) if ln else ''} {FST_MAT.get(g, g)}"
                    if box:
                        desc += f", box of {box}"
                        price, uom, pack = rng.uniform(0.04, 0.9) * box, "BOX", 1
                    else:
                        price, uom = rng.uniform(0.05, 3.5), "EA"
                        pack = rng.choice([1, 1, 10, 25, 100])
                    add(sku, desc, uom, price, pack, "", "", "fasteners")
    # electrical: numeric style EL-100234
    for desc, mfr, mpn in ELECTRICAL:
        add(f"EL-{rng.randint(100000, 199999)}", desc, _uom_for(desc, rng), rng.uniform(0.4, 140),
            rng.choice([1, 1, 1, 10, 50]), mfr, mpn, "electrical")
    # safety
    for desc, mfr, mpn in SAFETY:
        if "{s}" in desc or "{n}" in desc:
            for s in (SIZES[:4] if "{s}" in desc else ["40", "42", "44", "45"]):
                d = desc.replace("{s}", s).replace("{n}", s)
                add(f"SAF-{rng.randint(1000, 9999)}-{s}", d, _uom_for(d, rng), rng.uniform(2, 60), 1, mfr, mpn, "safety")
        else:
            add(f"SAF-{rng.randint(1000, 9999)}", desc, _uom_for(desc, rng), rng.uniform(2, 90), 1, mfr, mpn, "safety")
    # fluid power
    for desc, mfr, mpn in FLUID:
        add(f"FP-{rng.choice(['HYD', 'PNU', 'VLV'])}-{rng.randint(100, 9999):04d}", desc, _uom_for(desc, rng),
            rng.uniform(3, 320), rng.choice([1, 1, 10]), mfr, mpn, "fluid")
    # tools / consumables: HX-0012 style
    hx = 1
    for desc, mfr, mpn in TOOLS:
        ns = ["8", "10", "13", "17", "19"] if "{n}" in desc else [None]
        for nn in ns:
            d = desc.replace("{n}", nn) if nn else desc
            add(f"HX-{hx:04d}", d, _uom_for(d, rng), rng.uniform(1.5, 260), 1, mfr, mpn, "tools")
            hx += 1
    rng.shuffle(items)
    return items[:n]


def sku_near_miss(rng: random.Random, sku: str) -> str:
    """A plausible typo of a real SKU (transposed / changed digit, missing dash)."""
    s = list(sku)
    digits = [i for i, c in enumerate(s) if c.isdigit()]
    r = rng.random()
    if r < 0.4 and digits:
        i = rng.choice(digits)
        s[i] = str((int(s[i]) + rng.choice([1, 2, 7])) % 10)
        return "".join(s)
    if r < 0.7 and len(digits) >= 2:
        i = digits[-2]
        if s[i + 1].isdigit() and s[i] != s[i + 1]:
            s[i], s[i + 1] = s[i + 1], s[i]
            return "".join(s)
    if "-" in sku:
        i = sku.rfind("-")
        return sku[:i] + sku[i + 1:]
    return sku + "X"
