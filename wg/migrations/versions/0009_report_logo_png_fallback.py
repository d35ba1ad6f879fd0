"""report logo: a PNG drawing beside an SVG logo

An SVG logo is also stored drawn as a PNG (``report_logos.png_fallback``), for the DOCX: LibreOffice and older Word
show a picture's PNG, not its SVG. No data step: drawing needs WeasyPrint and pdftocairo in child processes, which
a migration should not run; a logo stored before this revision is drawn when a report is exported (not stored) and
stored when the organizer next saves the front matter (docs/decisions.md).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('report_logos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('png_fallback', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('report_logos', schema=None) as batch_op:
        batch_op.drop_column('png_fallback')
