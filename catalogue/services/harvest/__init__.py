"""Harvest: the catalogue reads the council's systems itself.

A harvest reads one source (a database through SQLAlchemy's inspector, a
folder of SQL scripts, a folder of spreadsheets) into ``FoundDataset``s, then
``sync.harvest_into`` hands them to the asset, edge and column-lineage services
in one transaction, as the acting harvest. Readers never write to a source.

**A harvest owns only what it reads.** Technical fields are the harvest's and
follow the source: columns and their types (and a column's description when the
database has a comment for it), location, last updated, the lineage it reads
from SQL (edges from the source system and from the tables a view reads, and
column lineage). Curated fields are a person's and a later harvest never
overwrites them: title (set once, when the asset is first harvested),
description (filled from the table's comment only while it is empty), owner,
steward, classification, access, lawful basis, tags, and each column's
personal-data flag. Edges someone else recorded are left alone.

**Keys** are made once per object and then kept: the source system's key, a dot,
``schema.table`` (or the file's path under the harvested folder, and ``#sheet``),
lower-cased, every run of other characters made ``-``; a short hash is added
when the key is already taken (see ``openlineage_names.key_for``).
"""
