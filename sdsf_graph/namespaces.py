"""Every IRI the code uses, in one place."""

from rdflib import Namespace
from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS, XSD

#: The default public base of every SDSF IRI; a deployment may serve its own (setting ``base_iri``).
DEFAULT_BASE = "https://w3id.org/sdsf/"

SDSF = Namespace(DEFAULT_BASE + "def#")
ONTOLOGY_IRI = DEFAULT_BASE + "def"
ID = Namespace(DEFAULT_BASE + "id/")
GRAPH = Namespace(DEFAULT_BASE + "graph/")
DERIVED_GRAPH = GRAPH["derived"]

THEME = Namespace(DEFAULT_BASE + "id/theme/")
INST = Namespace(DEFAULT_BASE + "id/institution-type/")
ACRONYM = Namespace(DEFAULT_BASE + "id/acronym/")
ROLE = Namespace(DEFAULT_BASE + "id/role/")
DEP = Namespace(DEFAULT_BASE + "id/departement/")
REG = Namespace(DEFAULT_BASE + "id/region/")
SCHEME = Namespace(DEFAULT_BASE + "id/scheme/")
LEGAL = Namespace(DEFAULT_BASE + "id/legal-text/")
THESAURUS = Namespace(DEFAULT_BASE + "id/thesaurus/")

IGEO = Namespace("http://rdf.insee.fr/def/geo#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
WD = Namespace("http://www.wikidata.org/entity/")
INSEE_GEO = "http://id.insee.fr/geo/"
#: European Legislation Identifiers of French texts on Légifrance (the owl:sameAs of data/reference/legal-texts.ttl).
LEGIFRANCE_ELI = "https://www.legifrance.gouv.fr/eli/"
VANN = Namespace("http://purl.org/vocab/vann/")
SH = Namespace("http://www.w3.org/ns/shacl#")

#: Prefixes offered to queries, serialisations and pages.
PREFIXES: dict[str, str] = {
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "org": str(ORG),
    "foaf": str(FOAF),
    "eli": str(ELI),
    "igeo": str(IGEO),
    "sdsf": str(SDSF),
    "theme": str(THEME),
    "inst": str(INST),
    "acr": str(ACRONYM),
    "role": str(ROLE),
    "dep": str(DEP),
    "reg": str(REG),
    "scheme": str(SCHEME),
    "legal": str(LEGAL),
    "wd": str(WD),
}

#: Namespaces whose IRIs may be used without being defined in our data (external vocabularies and links).
EXTERNAL_NAMESPACES: tuple[str, ...] = (
    str(RDF), str(RDFS), str(OWL), str(XSD), str(SKOS), str(DCTERMS), str(PROV), str(ORG), str(FOAF),
    str(ELI), str(IGEO), str(WD), INSEE_GEO, LEGIFRANCE_ELI, str(VANN), str(SH),
    "http://rdf.insee.fr/def/geo",
    "http://www.w3.org/ns/org",
    "http://data.europa.eu/eli/ontology",
    "http://id.loc.gov/vocabulary/iso639-1/",
    "https://creativecommons.org/licenses/",
)

__all__ = [
    "ACRONYM", "DCTERMS", "DEFAULT_BASE", "DEP", "DERIVED_GRAPH", "ELI", "EXTERNAL_NAMESPACES", "FOAF", "GRAPH",
    "ID", "IGEO", "INST", "INSEE_GEO", "LEGAL", "LEGIFRANCE_ELI", "ONTOLOGY_IRI", "ORG", "OWL", "PREFIXES", "PROV",
    "RDF", "RDFS", "REG", "ROLE", "SCHEME", "SDSF", "SH", "SKOS", "THEME", "THESAURUS", "VANN", "WD", "XSD",
]
