"""A push of new counts in one statement (PostgreSQL), and everything it leaves alone."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import httpx
import msgspec
import pytest
from piccolo.querystring import QueryString

from server import db
from server.audit import service as audit
from server.headcounts import store
from server.ops.context import Actor
from server.settings import Settings
from server.sync import at_once, devices, ops
from server.sync import push as push_service
from server.sync.schemas import Batch
from tests import dbutil
from tests.support.field import new_uid, open_session, window


def count(seq: int, session: int, **change: Any) -> ops.Op:
    """A tablet's ``headcount.add`` (``category``, ``delta``, ``op_id``, ``actor_id``)."""
    _, start, _ = window()
    return ops.HeadcountAdd(
        op_id=change.get("op_id") or new_uid(),
        seq=seq,
        actor_id=change.get("actor_id"),
        client_time=dt.datetime.now(dt.UTC),
        payload=ops.AddHeadcount(
            work_session_id=session,
            slot_start=start,
            category=change.get("category", "issuance_reserved"),
            delta=change.get("delta", 1),
        ),
    )


class Field:
    """An open session at 本庁舎, its operator and a registered tablet."""

    def __init__(self, ids: dict[str, int], device_id: str, settings: Settings) -> None:
        self.session = ids["session"]
        self.operator = ids["operator"]
        self.manager = ids["manager"]
        self.device_id = device_id
        self.actor = Actor(staff_id=ids["operator"], role="operator")
        self.settings = settings

    def batch(self, *ops_: ops.Op) -> Batch:
        """A batch of this tablet's."""
        return Batch(device_id=self.device_id, schema_version=1, ops=list(ops_))


@pytest.fixture
async def field(client: httpx.AsyncClient, settings: Settings) -> Field:
    """The session, its operator and their tablet (the app started: its pool is open)."""
    ids = await open_session(settings, site_id=1)
    operator = Actor(staff_id=ids["operator"], role="operator")
    tablet = await devices.register_device(label="tablet", actor=operator, field=settings.field)
    return Field(ids, tablet.device_id, settings)


def state(url: str, made: Field) -> list[Any]:
    """Everything a push writes: counts, cells, the device row and the audit log."""
    return [
        dbutil.fetch(url, f"SELECT count(*) FROM headcount WHERE work_session = {made.session}"),
        dbutil.fetch(url, f"SELECT SUM(n) FROM headcount_cell WHERE work_session = {made.session}"),
        dbutil.fetch(
            url, f"SELECT high_water, last_seen_at FROM device WHERE uid = '{made.device_id}'"
        ),
        dbutil.fetch(url, "SELECT count(*), max(seq) FROM audit_event"),
    ]


def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements sent to the database from now on (each still runs)."""
    sent: list[str] = []
    engine = db.engine()
    run = engine.run_querystring

    async def counted(querystring: QueryString, **options: Any) -> Any:
        sent.append(querystring.template)
        return await run(querystring, **options)

    monkeypatch.setattr(engine, "run_querystring", counted)
    return sent


async def test_new_counts_are_one_statement_on_postgresql(
    field: Field, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a batch of new counts costs two statements (what they are checked
    against, then the write) and lands whole: counts, cells, mark and audit entry; on
    SQLite it goes the general way."""
    batch = field.batch(*(count(seq, field.session, delta=seq) for seq in (1, 2, 3)))
    sent = statements(monkeypatch)
    answer = await at_once.push_at_once(batch, field.actor, field.settings.field)
    if not dbutil.is_postgres(database_url):
        assert answer is None and sent == []
        return
    assert answer is not None and answer.high_water == 3 and answer.gap is None
    assert [(r.seq, r.status) for r in answer.results] == [
        (1, "applied"),
        (2, "applied"),
        (3, "applied"),
    ]
    assert len(sent) == 2
    counts, cells, device, _ = state(database_url, field)
    assert counts == [(3,)] and cells == [(6,)] and device[0][0] == 3
    (detail,) = dbutil.fetch(
        database_url,
        f"SELECT detail FROM audit_event WHERE device_id = '{field.device_id}' "
        "AND action = 'headcount.add'",
    )
    assert json.loads(detail[0])["op_ids"] == [op.op_id for op in batch.ops]
    assert (await audit.verify()).ok


async def test_counts_are_stored_as_the_sending_devices(field: Field, database_url: str) -> None:
    """Counts that name no device are stored as the batch's device's, and so is the one
    that names it, however the batch is applied."""
    ops_ = [count(1, field.session), count(2, field.session)]
    ops_.append(msgspec.structs.replace(count(3, field.session), device_id=field.device_id))
    answer = await push_service.push(field.batch(*ops_), field.actor, field.settings.field)
    assert [r.status for r in answer.results] == ["applied"] * 3
    stored = dbutil.fetch(
        database_url,
        f"SELECT device_id FROM headcount WHERE work_session = {field.session} ORDER BY id",
    )
    assert stored == [(field.device_id,)] * 3


def _other_kind(made: Field, seq: int) -> ops.Op:
    return ops.WorkSessionClose(
        op_id=new_uid(),
        seq=seq,
        payload=ops.CloseWorkSession(work_session_id=made.session, at=window()[2]),
    )


# Batches the one statement cannot apply whole: (the ops after one applied count).
LEFT_ALONE: dict[str, Callable[[Field, str], list[ops.Op]]] = {
    "a correction": lambda f, _: [count(2, f.session, delta=-1)],
    "a refused count": lambda f, _: [count(2, f.session), count(3, f.session, category="nope")],
    "an id stored before": lambda f, stored: [
        count(2, f.session),
        count(3, f.session, op_id=stored),
    ],
    "someone else's count": lambda f, _: [count(2, f.session, actor_id=f.manager)],
    "another kind of op": lambda f, _: [count(2, f.session), _other_kind(f, 3)],
    # By seq alone: an op at or below the mark is a duplicate, whatever its id.
    "ops sent before": lambda f, _: [count(1, f.session), count(2, f.session)],
}


@pytest.mark.parametrize("case", list(LEFT_ALONE))
async def test_what_one_statement_cannot_apply_whole_it_leaves_alone(
    case: str, field: Field, database_url: str
) -> None:
    """A batch with a correction, a refused count, a stored id, another's count, another
    kind of op or ops sent before writes nothing here; the general way then applies it."""
    first = count(1, field.session)
    await push_service.push(field.batch(first), field.actor, field.settings.field)
    before = state(database_url, field)
    batch = field.batch(*LEFT_ALONE[case](field, first.op_id or ""))
    assert await at_once.push_at_once(batch, field.actor, field.settings.field) is None
    assert state(database_url, field) == before
    answer = await push_service.push(batch, field.actor, field.settings.field)
    assert answer.high_water == batch.ops[-1].seq
    assert (await audit.verify()).ok


async def test_a_revoked_device_is_left_to_the_general_way(field: Field, database_url: str) -> None:
    """A revoked device's counts write nothing here (the general way refuses them)."""
    manager = Actor(staff_id=field.manager, role="overall_manager")
    assert await devices.revoke_device(field.device_id, actor=manager, field=field.settings.field)
    before = state(database_url, field)
    batch = field.batch(count(1, field.session))
    assert await at_once.push_at_once(batch, field.actor, field.settings.field) is None
    assert state(database_url, field) == before


@pytest.mark.parametrize("seqs", [(1, 2), (4, 5)], ids=["sent again", "gap at once"])
async def test_a_batch_with_nothing_new_is_answered_from_the_mark(
    seqs: tuple[int, int], field: Field, database_url: str
) -> None:
    """A batch sent again, or stopped by a gap at once, is answered from the device's mark
    without a write, the same way on both engines."""
    await push_service.push(
        field.batch(count(1, field.session), count(2, field.session)),
        field.actor,
        field.settings.field,
    )
    before = state(database_url, field)
    batch = field.batch(*(count(seq, field.session) for seq in seqs))
    answer = await push_service.push(batch, field.actor, field.settings.field)
    assert answer.high_water == 2
    if seqs == (1, 2):
        assert [r.status for r in answer.results] == ["duplicate", "duplicate"]
        assert answer.gap is None
    else:
        assert answer.results == [] and answer.gap is not None
        assert (answer.gap.expected, answer.gap.got) == (3, 4)
    assert state(database_url, field) == before


async def test_a_guard_that_does_not_hold_writes_nothing(field: Field, database_url: str) -> None:
    """Counts stored under the device's guard go in only while its mark is the one read:
    a mark moved meanwhile (another push of the device) leaves every table as it was.
    SQLite has no such statement and refuses a guard."""
    _, start, _ = window()
    rows = [(field.session, start, "issuance_reserved", 1, field.device_id, new_uid())]
    now = dt.datetime.now(dt.UTC)
    entry = audit.Entry(action="headcount.add", actor_id=field.operator, target="t")

    def entries() -> list[audit.Entry]:
        return [entry]

    stale = devices.advance_guard(field.device_id, 7, 8, now, field.operator)
    if not dbutil.is_postgres(database_url):
        with pytest.raises(ValueError):
            await store.store(rows, field.operator, now, entries, stale)
        return
    before = state(database_url, field)
    missed = await store.store(rows, field.operator, now, entries, stale)
    assert not missed.held and missed.ids == set() and not missed.audited
    assert state(database_url, field) == before
    took = await store.store(
        rows,
        field.operator,
        now,
        entries,
        devices.advance_guard(field.device_id, 0, 1, now, field.operator),
    )
    assert took.held and took.ids == {rows[0][5]} and took.audited
    assert state(database_url, field)[2][0][0] == 1


async def test_a_guarded_store_refuses_an_open_transaction(field: Field, database_url: str) -> None:
    """A guarded store commits on its own, so it refuses to run inside a transaction
    (where a failed statement would abort the caller's work too)."""
    _, start, _ = window()
    rows = [(field.session, start, "issuance_reserved", 1, field.device_id, new_uid())]
    now = dt.datetime.now(dt.UTC)
    before = state(database_url, field)
    # SQLite refuses any guard (ValueError): it has no such statement.
    with pytest.raises(RuntimeError if dbutil.is_postgres(database_url) else ValueError):
        async with db.writing():
            await store.store(
                rows,
                field.operator,
                now,
                None,
                devices.advance_guard(field.device_id, 0, 1, now, field.operator),
            )
    assert state(database_url, field) == before
