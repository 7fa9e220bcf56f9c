"""Pure lineage logic: which assets feed which, now and on any past date.

Builds a graph from the catalogue's records (docs/records.md), keeps it in
step with the change log, and answers traces, paths, impact and inherited
sensitivity. Imports only the standard library and NetworkX: no Flask,
SQLAlchemy or ``catalogue``.
"""

from lineage.export import EXPORT_FORMATS
from lineage.graph import LineageGraph
from lineage.results import Hop, Inheritance, Mismatch
from lineage.sensitivity import FLAGS, SENSITIVE_CLASSIFICATIONS

__all__ = [
    "EXPORT_FORMATS",
    "FLAGS",
    "SENSITIVE_CLASSIFICATIONS",
    "Hop",
    "Inheritance",
    "LineageGraph",
    "Mismatch",
]
