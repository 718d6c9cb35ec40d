"""What the demo and synthetic data are made of: the WZ 2008 classes companies are drawn from,
the funding programmes and Lichtenberg's streets. Migration 0011 loads the classes and the
programmes into every database (a copy frozen at that revision); these lists only drive the
generators."""

# (code, title, section): WZ 2008 classes used by the demo data.
INDUSTRY_CLASSES: list[tuple[str, str, str]] = [
    ("10.71", "Herstellung von Backwaren (ohne Dauerbackwaren)", "C"),
    ("18.12", "Drucken a. n. g.", "C"),
    ("25.11", "Herstellung von Metallkonstruktionen", "C"),
    ("25.62", "Mechanik a. n. g.", "C"),
    ("31.01", "Herstellung von Büro- und Ladenmöbeln", "C"),
    ("33.12", "Reparatur von Maschinen", "C"),
    ("41.20", "Bau von Gebäuden", "F"),
    ("43.21", "Elektroinstallation", "F"),
    ("43.22", "Gas-, Wasser-, Heizungs- sowie Lüftungs- und Klimainstallation", "F"),
    ("43.32", "Bautischlerei und -schlosserei", "F"),
    ("43.34", "Maler- und Glasergewerbe", "F"),
    ("45.20", "Instandhaltung und Reparatur von Kraftwagen", "G"),
    ("46.90", "Großhandel ohne ausgeprägten Schwerpunkt", "G"),
    ("47.11", "Einzelhandel mit Waren verschiedener Art, Hauptrichtung Nahrungs- und Genussmittel", "G"),
    ("47.73", "Apotheken", "G"),
    ("49.41", "Güterbeförderung im Straßenverkehr", "H"),
    ("52.10", "Lagerei", "H"),
    ("55.10", "Hotels, Gasthöfe und Pensionen", "I"),
    ("56.10", "Restaurants, Gaststätten, Imbissstuben, Cafés, Eissalons u. Ä.", "I"),
    ("58.11", "Verlegen von Büchern", "J"),
    ("62.01", "Programmierungstätigkeiten", "J"),
    ("62.02", "Erbringung von Beratungsleistungen auf dem Gebiet der Informationstechnologie", "J"),
    ("62.09", "Erbringung von sonstigen Dienstleistungen der Informationstechnologie", "J"),
    ("63.11", "Datenverarbeitung, Hosting und damit verbundene Tätigkeiten", "J"),
    ("64.19", "Kreditinstitute (ohne Spezialkreditinstitute)", "K"),
    ("68.20", "Vermietung, Verpachtung von eigenen oder geleasten Grundstücken, Gebäuden und Wohnungen", "L"),
    ("69.20", "Wirtschaftsprüfung und Steuerberatung; Buchführung", "M"),
    ("70.22", "Unternehmensberatung", "M"),
    ("71.12", "Ingenieurbüros", "M"),
    ("72.19", "Sonstige Forschung und Entwicklung im Bereich Natur-, Ingenieur-, Agrarwissenschaften und Medizin", "M"),
    ("73.11", "Werbeagenturen", "M"),
    ("74.10", "Ateliers für Textil-, Schmuck-, Grafik- u. ä. Design", "M"),
    ("78.10", "Vermittlung von Arbeitskräften", "N"),
    ("81.21", "Allgemeine Gebäudereinigung", "N"),
    ("84.11", "Allgemeine öffentliche Verwaltung", "O"),
    ("85.59", "Sonstiger Unterricht", "P"),
    ("86.21", "Arztpraxen für Allgemeinmedizin", "Q"),
    ("86.90", "Gesundheitswesen a. n. g.", "Q"),
    ("87.10", "Pflegeheime", "Q"),
    ("88.10", "Soziale Betreuung älterer Menschen und Behinderter", "Q"),
    ("94.11", "Wirtschafts- und Arbeitgeberverbände", "S"),
    ("96.02", "Frisör- und Kosmetiksalons", "S"),
]

FUNDING_PROGRAMS: list[tuple[str, str, str]] = [
    (
        "GRW",
        "Gemeinschaftsaufgabe „Verbesserung der regionalen Wirtschaftsstruktur“ (GRW)",
        "Bund-Länder-Programm; finanziert das Regionalmanagement seit 2002.",
    ),
    (
        "EFRE-WDM",
        "EFRE „Wirtschaftsdienliche Maßnahmen“",
        "Vom EFRE kofinanziert, nur durch Bezirksämter beantragt, höchstens 3 Jahre, "
        "höchstens 250.000 EUR aus dem EFRE und 500.000 EUR insgesamt.",
    ),
    (
        "EXWOST",
        "Experimenteller Wohnungs- und Städtebau (ExWoSt)",
        "Forschungsprogramm des Bundes zur Stadtentwicklung.",
    ),
    ("BEZIRK", "Bezirkliche Mittel Lichtenberg", "Eigenmittel des Bezirksamtes."),
    ("ESF", "Europäischer Sozialfonds (ESF)", "Beschäftigung und Qualifizierung."),
]

# Ortsteil key -> (streets with postal codes, centre latitude, centre longitude)
PLACES: dict[str, tuple[list[tuple[str, str]], float, float]] = {
    "LICHTENBERG": (
        [
            ("Möllendorffstraße", "10367"),
            ("Frankfurter Allee", "10365"),
            ("Herzbergstraße", "10365"),
            ("Siegfriedstraße", "10365"),
            ("Josef-Orlopp-Straße", "10365"),
            ("Weitlingstraße", "10317"),
        ],
        52.5170,
        13.4870,
    ),
    "FRIEDRICHSFELDE": (
        [("Alt-Friedrichsfelde", "10315"), ("Am Tierpark", "10319"), ("Rhinstraße", "10315"), ("Sewanstraße", "10319")],
        52.5090,
        13.5160,
    ),
    "KARLSHORST": (
        [
            ("Treskowallee", "10318"),
            ("Ehrenfelsstraße", "10318"),
            ("Hönower Straße", "10318"),
            ("Rheinsteinstraße", "10318"),
        ],
        52.4810,
        13.5280,
    ),
    "RUMMELSBURG": (
        [
            ("Hauptstraße", "10317"),
            ("Kynaststraße", "10317"),
            ("Köpenicker Chaussee", "10317"),
            ("Karlshorster Straße", "10317"),
        ],
        52.4950,
        13.4900,
    ),
    "FENNPFUHL": (
        [
            ("Anton-Saefkow-Platz", "10369"),
            ("Weißenseer Weg", "10367"),
            ("Landsberger Allee", "10367"),
            ("Paul-Junius-Straße", "10369"),
        ],
        52.5300,
        13.4770,
    ),
    "ALT_HOHENSCHOENHAUSEN": (
        [
            ("Konrad-Wolf-Straße", "13055"),
            ("Große-Leege-Straße", "13055"),
            ("Degnerstraße", "13053"),
            ("Gehrenseestraße", "13053"),
        ],
        52.5450,
        13.4950,
    ),
    "NEU_HOHENSCHOENHAUSEN": (
        [("Prerower Platz", "13051"), ("Falkenberger Chaussee", "13051"), ("Zingster Straße", "13051")],
        52.5680,
        13.5050,
    ),
    "WARTENBERG": ([("Wartenberger Straße", "13059"), ("Egon-Erwin-Kisch-Straße", "13059")], 52.5730, 13.5190),
    "FALKENBERG": ([("Falkenberger Chaussee", "13057"), ("Ahrensfelder Chaussee", "13057")], 52.5690, 13.5430),
    "MALCHOW": ([("Dorfstraße", "13051"), ("Malchower Chaussee", "13051")], 52.5800, 13.4800),
}
