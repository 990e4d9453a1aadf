"""Core tables: where articles come from and the articles themselves."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text

from nashra.store.types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

sources = Table(
    "sources",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("type", String(50), nullable=False),
    Column("last_attempt_at", UTCDateTime()),
    Column("last_success_at", UTCDateTime()),
    Column("last_error", Text),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("cursor", Text),
)

articles = Table(
    "articles",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("source", String(100), nullable=False),
    Column("guid", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("published_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime()),
    Column("author", Text, nullable=False, default=""),
    Column("section", String(200), nullable=False, default=""),
    Column("tags", JSON, nullable=False, default=list),
    Column("lead", Text, nullable=False, default=""),
    Column("body_html", Text, nullable=False, default=""),
    Column("image", JSON),
    Column("language", String(20), nullable=False, default="ar"),
    Column("content_hash", String(64), nullable=False),
    Column("first_seen_at", UTCDateTime(), nullable=False),
    Column("last_changed_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False, default=1),
    # nashra.forms: the article's prepared texts, tagged with the content hash they were made from.
    Column("forms", JSON),
    Index(None, "url"),
    Index(None, "published_at"),
    Index(None, "first_seen_at"),
    Index(None, "section"),
)
