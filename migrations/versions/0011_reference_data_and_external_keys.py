"""Reference data with the schema (WZ 2008 sections, divisions, the classes the portal uses, the
funding programmes) and external keys for imports

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 20:00:00

Until now the demo seed loaded the WZ classes and the funding programmes, so a freshly upgraded,
empty production database had none and every company naming a class was refused. The data is
frozen here as it stood at this revision (`upl import industries FILE` adds Destatis' full class
list later). `external_id` is the key an imported row is matched by (transfer/importer.py): the
office's spreadsheets and the old CMS have their own numbers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYED_TABLES = ("companies", "networks", "spaces", "projects", "events")

SECTIONS = [
    ("A", "Land- und Forstwirtschaft, Fischerei"),
    ("B", "Bergbau und Gewinnung von Steinen und Erden"),
    ("C", "Verarbeitendes Gewerbe"),
    ("D", "Energieversorgung"),
    ("E", "Wasserversorgung; Abwasser- und Abfallentsorgung und Beseitigung von Umweltverschmutzungen"),
    ("F", "Baugewerbe"),
    ("G", "Handel; Instandhaltung und Reparatur von Kraftfahrzeugen"),
    ("H", "Verkehr und Lagerei"),
    ("I", "Gastgewerbe"),
    ("J", "Information und Kommunikation"),
    ("K", "Erbringung von Finanz- und Versicherungsdienstleistungen"),
    ("L", "Grundstücks- und Wohnungswesen"),
    ("M", "Erbringung von freiberuflichen, wissenschaftlichen und technischen Dienstleistungen"),
    ("N", "Erbringung von sonstigen wirtschaftlichen Dienstleistungen"),
    ("O", "Öffentliche Verwaltung, Verteidigung; Sozialversicherung"),
    ("P", "Erziehung und Unterricht"),
    ("Q", "Gesundheits- und Sozialwesen"),
    ("R", "Kunst, Unterhaltung und Erholung"),
    ("S", "Erbringung von sonstigen Dienstleistungen"),
    (
        "T",
        "Private Haushalte mit Hauspersonal; Herstellung von Waren und Erbringung von Dienstleistungen durch private Haushalte für den Eigenbedarf ohne ausgeprägten Schwerpunkt",
    ),
    ("U", "Exterritoriale Organisationen und Körperschaften"),
]

DIVISIONS = [
    ("01", "Landwirtschaft, Jagd und damit verbundene Tätigkeiten"),
    ("02", "Forstwirtschaft und Holzeinschlag"),
    ("03", "Fischerei und Aquakultur"),
    ("05", "Kohlenbergbau"),
    ("06", "Gewinnung von Erdöl und Erdgas"),
    ("07", "Erzbergbau"),
    ("08", "Gewinnung von Steinen und Erden, sonstiger Bergbau"),
    ("09", "Erbringung von Dienstleistungen für den Bergbau und für die Gewinnung von Steinen und Erden"),
    ("10", "Herstellung von Nahrungs- und Futtermitteln"),
    ("11", "Getränkeherstellung"),
    ("12", "Tabakverarbeitung"),
    ("13", "Herstellung von Textilien"),
    ("14", "Herstellung von Bekleidung"),
    ("15", "Herstellung von Leder, Lederwaren und Schuhen"),
    ("16", "Herstellung von Holz-, Flecht-, Korb- und Korkwaren (ohne Möbel)"),
    ("17", "Herstellung von Papier, Pappe und Waren daraus"),
    ("18", "Herstellung von Druckerzeugnissen; Vervielfältigung von bespielten Ton-, Bild- und Datenträgern"),
    ("19", "Kokerei und Mineralölverarbeitung"),
    ("20", "Herstellung von chemischen Erzeugnissen"),
    ("21", "Herstellung von pharmazeutischen Erzeugnissen"),
    ("22", "Herstellung von Gummi- und Kunststoffwaren"),
    ("23", "Herstellung von Glas und Glaswaren, Keramik, Verarbeitung von Steinen und Erden"),
    ("24", "Metallerzeugung und -bearbeitung"),
    ("25", "Herstellung von Metallerzeugnissen"),
    ("26", "Herstellung von Datenverarbeitungsgeräten, elektronischen und optischen Erzeugnissen"),
    ("27", "Herstellung von elektrischen Ausrüstungen"),
    ("28", "Maschinenbau"),
    ("29", "Herstellung von Kraftwagen und Kraftwagenteilen"),
    ("30", "Sonstiger Fahrzeugbau"),
    ("31", "Herstellung von Möbeln"),
    ("32", "Herstellung von sonstigen Waren"),
    ("33", "Reparatur und Installation von Maschinen und Ausrüstungen"),
    ("35", "Energieversorgung"),
    ("36", "Wasserversorgung"),
    ("37", "Abwasserentsorgung"),
    ("38", "Sammlung, Behandlung und Beseitigung von Abfällen; Rückgewinnung"),
    ("39", "Beseitigung von Umweltverschmutzungen und sonstige Entsorgung"),
    ("41", "Hochbau"),
    ("42", "Tiefbau"),
    ("43", "Vorbereitende Baustellenarbeiten, Bauinstallation und sonstiges Ausbaugewerbe"),
    ("45", "Handel mit Kraftfahrzeugen; Instandhaltung und Reparatur von Kraftfahrzeugen"),
    ("46", "Großhandel (ohne Handel mit Kraftfahrzeugen)"),
    ("47", "Einzelhandel (ohne Handel mit Kraftfahrzeugen)"),
    ("49", "Landverkehr und Transport in Rohrfernleitungen"),
    ("50", "Schifffahrt"),
    ("51", "Luftfahrt"),
    ("52", "Lagerei sowie Erbringung von sonstigen Dienstleistungen für den Verkehr"),
    ("53", "Post-, Kurier- und Expressdienste"),
    ("55", "Beherbergung"),
    ("56", "Gastronomie"),
    ("58", "Verlagswesen"),
    (
        "59",
        "Herstellung, Verleih und Vertrieb von Filmen und Fernsehprogrammen; Kinos; Tonstudios und Verlegen von Musik",
    ),
    ("60", "Rundfunkveranstalter"),
    ("61", "Telekommunikation"),
    ("62", "Erbringung von Dienstleistungen der Informationstechnologie"),
    ("63", "Informationsdienstleistungen"),
    ("64", "Erbringung von Finanzdienstleistungen"),
    ("65", "Versicherungen, Rückversicherungen und Pensionskassen (ohne Sozialversicherung)"),
    ("66", "Mit Finanz- und Versicherungsdienstleistungen verbundene Tätigkeiten"),
    ("68", "Grundstücks- und Wohnungswesen"),
    ("69", "Rechts- und Steuerberatung, Wirtschaftsprüfung"),
    ("70", "Verwaltung und Führung von Unternehmen und Betrieben; Unternehmensberatung"),
    ("71", "Architektur- und Ingenieurbüros; technische, physikalische und chemische Untersuchung"),
    ("72", "Forschung und Entwicklung"),
    ("73", "Werbung und Marktforschung"),
    ("74", "Sonstige freiberufliche, wissenschaftliche und technische Tätigkeiten"),
    ("75", "Veterinärwesen"),
    ("77", "Vermietung von beweglichen Sachen"),
    ("78", "Vermittlung und Überlassung von Arbeitskräften"),
    ("79", "Reisebüros, Reiseveranstalter und Erbringung sonstiger Reservierungsdienstleistungen"),
    ("80", "Wach- und Sicherheitsdienste sowie Detekteien"),
    ("81", "Gebäudebetreuung; Garten- und Landschaftsbau"),
    ("82", "Erbringung von wirtschaftlichen Dienstleistungen für Unternehmen und Privatpersonen a. n. g."),
    ("84", "Öffentliche Verwaltung, Verteidigung; Sozialversicherung"),
    ("85", "Erziehung und Unterricht"),
    ("86", "Gesundheitswesen"),
    ("87", "Heime (ohne Erholungs- und Ferienheime)"),
    ("88", "Sozialwesen (ohne Heime)"),
    ("90", "Kreative, künstlerische und unterhaltende Tätigkeiten"),
    ("91", "Bibliotheken, Archive, Museen, botanische und zoologische Gärten"),
    ("92", "Spiel-, Wett- und Lotteriewesen"),
    ("93", "Erbringung von Dienstleistungen des Sports, der Unterhaltung und der Erholung"),
    ("94", "Interessenvertretungen sowie kirchliche und sonstige religiöse Vereinigungen (ohne Sozialwesen und Sport)"),
    ("95", "Reparatur von Datenverarbeitungsgeräten und Gebrauchsgütern"),
    ("96", "Erbringung von sonstigen überwiegend persönlichen Dienstleistungen"),
    ("97", "Private Haushalte mit Hauspersonal"),
    (
        "98",
        "Herstellung von Waren und Erbringung von Dienstleistungen durch private Haushalte für den Eigenbedarf ohne ausgeprägten Schwerpunkt",
    ),
    ("99", "Exterritoriale Organisationen und Körperschaften"),
]

CLASSES = [
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

FUNDING_PROGRAMS = [
    (
        "GRW",
        "Gemeinschaftsaufgabe „Verbesserung der regionalen Wirtschaftsstruktur“ (GRW)",
        "Bund-Länder-Programm; finanziert das Regionalmanagement seit 2002.",
    ),
    (
        "EFRE-WDM",
        "EFRE „Wirtschaftsdienliche Maßnahmen“",
        "Vom EFRE kofinanziert, nur durch Bezirksämter beantragt, höchstens 3 Jahre, höchstens 250.000 EUR aus dem EFRE und 500.000 EUR insgesamt.",
    ),
    (
        "EXWOST",
        "Experimenteller Wohnungs- und Städtebau (ExWoSt)",
        "Forschungsprogramm des Bundes zur Stadtentwicklung.",
    ),
    ("BEZIRK", "Bezirkliche Mittel Lichtenberg", "Eigenmittel des Bezirksamtes."),
    ("ESF", "Europäischer Sozialfonds (ESF)", "Beschäftigung und Qualifizierung."),
]


def upgrade() -> None:
    sections = op.create_table(
        "industry_sections",
        sa.Column("letter", sa.String(1), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.CheckConstraint("letter ~ '^[A-U]$'", name="ck_industry_sections_letter_format"),
        sa.PrimaryKeyConstraint("letter", name="pk_industry_sections"),
    )
    divisions = op.create_table(
        "industry_divisions",
        sa.Column("code", sa.String(2), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("section", sa.String(1), nullable=False),
        sa.CheckConstraint("code ~ '^[0-9]{2}$'", name="ck_industry_divisions_code_format"),
        sa.ForeignKeyConstraint(
            ["section"], ["industry_sections.letter"], name="fk_industry_divisions_section_industry_sections"
        ),
        sa.PrimaryKeyConstraint("code", name="pk_industry_divisions"),
    )
    op.bulk_insert(sections, [{"letter": letter, "title": title} for letter, title in SECTIONS])
    op.bulk_insert(
        divisions, [{"code": code, "title": title, "section": section_of(code)} for code, title in DIVISIONS]
    )
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "INSERT INTO industry_classes (code, title, section) VALUES (:code, :title, :section) "
            "ON CONFLICT (code) DO NOTHING"
        ),
        [{"code": code, "title": title, "section": section} for code, title, section in CLASSES],
    )
    bind.execute(
        sa.text(
            "INSERT INTO funding_programs (code, name, description) VALUES (:code, :name, :description) "
            "ON CONFLICT (code) DO NOTHING"
        ),
        [{"code": code, "name": name, "description": description} for code, name, description in FUNDING_PROGRAMS],
    )
    op.create_foreign_key(
        "fk_industry_classes_section_industry_sections",
        "industry_classes",
        "industry_sections",
        ["section"],
        ["letter"],
    )
    for table in KEYED_TABLES:
        op.add_column(table, sa.Column("external_id", sa.String(100), nullable=True))
        op.create_unique_constraint(f"uq_{table}_external_id", table, ["external_id"])
        # a new slug's free number is found with `slug LIKE 'base-%'`, which the unique index
        # serves only under the C collation (an import of 100,000 rows makes 100,000 of them)
        op.create_index(f"ix_{table}_slug_pattern", table, ["slug"], postgresql_ops={"slug": "text_pattern_ops"})


def downgrade() -> None:
    for table in KEYED_TABLES:
        op.drop_index(f"ix_{table}_slug_pattern", table_name=table)
        op.drop_constraint(f"uq_{table}_external_id", table, type_="unique")
        op.drop_column(table, "external_id")
    op.drop_constraint("fk_industry_classes_section_industry_sections", "industry_classes", type_="foreignkey")
    op.drop_table("industry_divisions")
    op.drop_table("industry_sections")


SECTION_RANGES = (
    ("A", 1, 3), ("B", 5, 9), ("C", 10, 33), ("D", 35, 35), ("E", 36, 39), ("F", 41, 43), ("G", 45, 47),
    ("H", 49, 53), ("I", 55, 56), ("J", 58, 63), ("K", 64, 66), ("L", 68, 68), ("M", 69, 75), ("N", 77, 82),
    ("O", 84, 84), ("P", 85, 85), ("Q", 86, 88), ("R", 90, 93), ("S", 94, 96), ("T", 97, 98), ("U", 99, 99),
)  # fmt: skip


def section_of(division: str) -> str:
    number = int(division)
    return next(letter for letter, low, high in SECTION_RANGES if low <= number <= high)
