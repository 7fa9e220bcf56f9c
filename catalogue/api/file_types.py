"""A distribution's free-text format, as CKAN portals write it ("CSV", "MS Excel",
"OGC WMS", "ArcGIS Hub Dataset"), as DCAT-AP wants it: a term of the EU
file-type vocabulary and an IANA media type where one is known, and otherwise the
portal's own words as the label of a ``dct:MediaTypeOrExtent``.

Pure: no Flask, no rdflib. Decisions a reader should know:

- Names are compared upper-cased with runs of spaces, dots, dashes and
  underscores folded to one space, so "ms-excel", "MS Excel" and ".xls" agree.
- "MS Excel" and "MS Word" say the program, not the file: the URL's extension
  picks XLSX/DOCX over XLS/DOC.
- Esri's REST endpoints ("ArcGIS GeoService", "Esri REST") are the EU ``REST``
  term; an ArcGIS Hub page is a web page about the data, not a file type the
  vocabulary lists, so it keeps its own words.
- "No file type", "Other", "URL" and the empty string say nothing: no format.
"""

from __future__ import annotations

import re
from typing import NamedTuple

EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
IANA_MEDIA_TYPE = "https://www.iana.org/assignments/media-types/"


class FileType(NamedTuple):
    """What DCAT-AP says of one distribution's format."""

    code: str | None  # EU file-type code, e.g. "CSV"; None when the vocabulary lacks it
    label: str  # the words the portal used
    media_type: str | None  # IANA media type, e.g. "text/csv"


#: EU file-type code -> IANA media type (None: the vocabulary term has none)
MEDIA_TYPES: dict[str, str | None] = {
    "CSV": "text/csv",
    "TSV": "text/tab-separated-values",
    "JSON": "application/json",
    "GEOJSON": "application/geo+json",
    "JSON_LD": "application/ld+json",
    "XML": "application/xml",
    "HTML": "text/html",
    "PDF": "application/pdf",
    "TXT": "text/plain",
    "ZIP": "application/zip",
    "7Z": "application/x-7z-compressed",
    "GZIP": "application/gzip",
    "XLS": "application/vnd.ms-excel",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ODS": "application/vnd.oasis.opendocument.spreadsheet",
    "DOC": "application/msword",
    "DOCX": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "ODT": "application/vnd.oasis.opendocument.text",
    "KML": "application/vnd.google-earth.kml+xml",
    "KMZ": "application/vnd.google-earth.kmz",
    "GML": "application/gml+xml",
    "GPKG": "application/geopackage+sqlite3",
    "SHP": None,
    "RDF_TURTLE": "text/turtle",
    "RDF_XML": "application/rdf+xml",
    "WMS_SRVC": None,
    "WFS_SRVC": None,
    "WMTS_SRVC": None,
    "REST": None,
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "TIFF": "image/tiff",
    "EXE": "application/vnd.microsoft.portable-executable",
}
#: what portals write (folded, see `fold`) -> EU file-type code
ALIASES: dict[str, str] = {
    **{code.replace("_", " "): code for code in MEDIA_TYPES},
    "EXCEL": "XLS",
    "MS EXCEL": "XLS",
    "MICROSOFT EXCEL": "XLS",
    "WORD": "DOC",
    "MS WORD": "DOC",
    "MICROSOFT WORD": "DOC",
    "WMS": "WMS_SRVC",
    "OGC WMS": "WMS_SRVC",
    "WEB MAP SERVICE": "WMS_SRVC",
    "WFS": "WFS_SRVC",
    "OGC WFS": "WFS_SRVC",
    "WEB FEATURE SERVICE": "WFS_SRVC",
    "WEB FEATURE SERVICE (WFS)": "WFS_SRVC",
    "WMTS": "WMTS_SRVC",
    "OGC WMTS": "WMTS_SRVC",
    "ARCGIS GEOSERVICE": "REST",
    "ARCGIS REST API": "REST",
    "ESRI REST": "REST",
    "REST API": "REST",
    "SHAPEFILE": "SHP",
    "ESRI SHAPEFILE": "SHP",
    "QGIS SHAPEFILE": "SHP",
    "7 ZIP COMPRESSED FILE": "7Z",
    "JSON LD": "JSON_LD",
    "JSONLD": "JSON_LD",
    "TURTLE": "RDF_TURTLE",
    "TTL": "RDF_TURTLE",
    "RDF": "RDF_XML",
    "HTM": "HTML",
    "WEB PAGE": "HTML",
    "TEXT": "TXT",
    "JPG": "JPEG",
    "TIF": "TIFF",
    "GEOPACKAGE": "GPKG",
    "APPLICATION/X-MSDOS-PROGRAM": "EXE",
}
#: formats whose file kind the URL's extension settles
_BY_EXTENSION = {"XLS": {"xlsx": "XLSX"}, "DOC": {"docx": "DOCX"}}
#: words that say nothing about the format
NO_FORMAT = frozenset({"", "NO FILE TYPE", "OTHER", "URL", "UNKNOWN", "N A", "NONE"})


def fold(text: str) -> str:
    """Upper case, without a leading dot, separators folded to single spaces."""
    return re.sub(r"[\s._-]+", " ", text.strip().lstrip(".")).strip().upper()


def file_type(fmt: str | None, url: str = "", media_type: str | None = None) -> FileType | None:
    """The EU file type of a distribution, or its own words when the EU list lacks
    it; None when the format says nothing. ``media_type`` (the portal's own, when
    it gave one) wins over the one the vocabulary implies."""
    if not fmt or fold(fmt) in NO_FORMAT:
        return None
    folded = fold(fmt)
    code = ALIASES.get(folded)
    if code is None and re.fullmatch(r"[a-z]+/[a-z0-9.+-]+", fmt.strip().lower()):
        code = next((c for c, m in MEDIA_TYPES.items() if m == fmt.strip().lower()), None)
    if code in _BY_EXTENSION:
        extension = url.split("?", 1)[0].rsplit(".", 1)[-1].lower()
        code = _BY_EXTENSION[code].get(extension, code)
    return FileType(code, fmt.strip(), media_type or (MEDIA_TYPES.get(code) if code else None))
