"""Two PROCESSES ingesting the same file at the same moment on PostgreSQL leave one set of invoices:
one reports 'accepted', the other 'duplicate', neither a traceback."""

import multiprocessing
import traceback

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ingest_helpers import AT, FIXTURES, REFERENCE
from paygo.db import models as m
from paygo.db.session import make_engine

pytestmark = pytest.mark.postgres


def _worker(url, home, data, barrier, results) -> None:
    from paygo.ingest import ingest_payroll_file

    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            session.execute(select(1))  # connect before the barrier, so both start together
            barrier.wait(timeout=30)
            r = ingest_payroll_file(session, data, company_id="acme-payroll", original_name="p.csv", home=home,
                                    received_at=AT)
            results.put((r.status, r.invoices))
    except BaseException:
        results.put(("error", traceback.format_exc()))
    finally:
        engine.dispose()


@pytest.mark.parametrize("round_", range(3))
def test_two_processes_same_file_one_set_of_invoices(postgres_cluster, postgres_template, tmp_path, round_):
    from cryptography.fernet import Fernet

    from paygo.db.crypto import AccountCipher
    from paygo.reference import load_reference

    url = postgres_cluster.create_database(template=postgres_template)
    engine = make_engine(url)
    with Session(engine) as s:
        load_reference(s, REFERENCE, AccountCipher([Fernet.generate_key()]))
        s.commit()
    engine.dispose()
    data = (FIXTURES / "acme_2025-03-14.csv").read_bytes()
    ctx = multiprocessing.get_context("spawn")  # fork after polars started its threads can deadlock
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(url, tmp_path, data, barrier, results)) for _ in range(2)]
    for p in procs:
        p.start()
    outcomes = sorted(results.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    assert [o[0] for o in outcomes] == ["accepted", "duplicate"], outcomes
    assert outcomes[0][1] == ("INV-000001", "INV-000002", "INV-000003")
    engine = make_engine(url)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(m.Invoice)) == 3
        assert s.scalar(select(func.count()).select_from(m.PayrollFile)) == 1
        assert s.scalar(select(m.Counter.last_value).where(m.Counter.name == "invoice")) == 3
    engine.dispose()
