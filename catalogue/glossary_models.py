"""The business glossary's table (#18): the council's words, defined once.

A term is a record of its own, versioned like an asset: every change is a
``glossary.*`` row in ``change_log`` under the key ``glossary:<slug>``, so its
history, the audit trail and the search index's synonyms follow the same log.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.db import Base, UTCDateTime
from catalogue.models import Department


class GlossaryTerm(Base):
    """A council term: its definition (Markdown), synonyms, owner, department,
    related terms (slugs) and the assets and columns it describes."""

    __tablename__ = "glossary_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    definition: Mapped[str] = mapped_column(Text, default="")
    synonyms: Mapped[list[str]] = mapped_column(JSON, default=list)
    owner: Mapped[str | None] = mapped_column(String(320))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    related: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The assets ("key") and columns ("key:column") this term describes.
    links: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    department: Mapped[Department | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}
