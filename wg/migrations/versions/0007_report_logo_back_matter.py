"""report logo and back matter

The host's logo for the cover (its own table, so the front-matter row read on many pages never carries image
bytes), the back matter (about the host, funders) and the heading of the advisers' list.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

import wg.models.base  # noqa: F401

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('report_logos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('media_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('width_px', sa.Integer(), nullable=False),
    sa.Column('height_px', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('updated_at', wg.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['working_groups.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('group_id', name='uq_report_logos_group')
    )
    with op.batch_alter_table('report_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('about_host', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('funders', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('advisers_heading', sqlmodel.sql.sqltypes.AutoString(length=60),
                                      server_default='Advisers', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('report_settings', schema=None) as batch_op:
        batch_op.drop_column('advisers_heading')
        batch_op.drop_column('funders')
        batch_op.drop_column('about_host')
    op.drop_table('report_logos')
