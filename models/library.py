"""The prompt library: themes with their listening guidance, and prompts."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db


class Theme(db.Model):
    """A theme of the library and the reflective-listening guidance that goes with it."""

    __tablename__ = "themes"
    __table_args__ = (CheckConstraint("stage BETWEEN 1 AND 3", name="ck_themes_stage"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    # The stage of the work the theme belongs to: 1 steadiness, 2 deepening, 3 repair and consolidation.
    stage: Mapped[int] = mapped_column(default=1, server_default="1")
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    mirror: Mapped[str] = mapped_column(Text)
    validate: Mapped[str] = mapped_column(Text)
    empathise: Mapped[str] = mapped_column(Text)
    avoid: Mapped[list[str]] = mapped_column(JSON)
    starters: Mapped[list[str]] = mapped_column(JSON)


class Prompt(db.Model):
    """One library prompt; retired prompts stay for the instances that point at them."""

    __tablename__ = "prompts"
    __table_args__ = (
        CheckConstraint("depth BETWEEN 1 AND 3", name="ck_prompts_depth"),
        UniqueConstraint("seq", name="uq_prompts_seq"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # A small stable number per prompt: its bit in each couple's record of prompts already given.
    seq: Mapped[int] = mapped_column()
    theme_id: Mapped[str] = mapped_column(ForeignKey("themes.id"), index=True)
    depth: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(Text)
    follow_up: Mapped[str | None] = mapped_column(Text)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)

    theme: Mapped[Theme] = relationship(lazy="joined", innerjoin=True)
