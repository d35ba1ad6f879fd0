"""export leases, coalescing and queue time

Export jobs get a lease (``lease_owner``, ``lease_until``, ``attempts``) so that a job whose app process died is
retried once by any other process and then failed with its reason, instead of staying ``running`` for ever; a job
can be ``coalesced_into`` an identical one (one render for simultaneous requests); ``started_at`` and
``queue_seconds`` keep the wait apart from the render time. Jobs left queued or running by a wg without leases
cannot be told from dead ones: they are marked failed, with a message saying to start them again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

import wg.models.base

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORPHANED = ("The export was interrupted before wg kept export leases (the app process stopped while it ran). "
            "Start it again.")


def upgrade() -> None:
    exports = sa.table('exports', sa.column('status', sa.String()), sa.column('error', sa.String()))
    op.execute(exports.update().where(exports.c.status.in_(['queued', 'running']))
               .values(status='failed', error=ORPHANED))
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('started_at', wg.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('queue_seconds', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('lease_owner', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('lease_until', wg.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('coalesced_into', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_exports_coalesced_into_exports', 'exports', ['coalesced_into'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_exports_coalesced_into'), ['coalesced_into'], unique=False)
        batch_op.create_index(batch_op.f('ix_exports_status'), ['status'], unique=False)
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.alter_column('attempts', server_default=None)
        batch_op.alter_column('lease_owner', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('exports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exports_status'))
        batch_op.drop_index(batch_op.f('ix_exports_coalesced_into'))
        batch_op.drop_constraint('fk_exports_coalesced_into_exports', type_='foreignkey')
        batch_op.drop_column('coalesced_into')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('lease_owner')
        batch_op.drop_column('attempts')
        batch_op.drop_column('queue_seconds')
        batch_op.drop_column('started_at')
