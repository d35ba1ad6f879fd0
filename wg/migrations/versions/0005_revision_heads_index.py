"""revision heads index

Pages find each item's newest revision by grouping a group's revisions by target; with only ``group_id``
indexed that read every revision row, texts included, so pages slowed down as revisions accumulated. The new
index covers the grouping (group, kind, target, number) and replaces the ``group_id`` one, its prefix.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_revisions_group_target_rev', 'revisions',
                    ['group_id', 'target_type', 'target_id', 'rev_no'], unique=False)
    op.drop_index('ix_revisions_group', table_name='revisions')


def downgrade() -> None:
    op.create_index('ix_revisions_group', 'revisions', ['group_id'], unique=False)
    op.drop_index('ix_revisions_group_target_rev', table_name='revisions')
