"""Pins `paygo exceptions`: ops see the open queue (an unmatched return lands there), resolve an item
with a note, and resolving twice keeps the first resolution."""

import json
from datetime import date

from paygo.ach.reconcile import reconcile_return_file
from paygo.cli import main
from paygo.db.session import make_engine, session_scope
from returns_factory import CIPHER, make_world, return_file, returned


def test_list_and_resolve(db_url, tmp_path, monkeypatch, capsys):
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        w = make_world(s)
        entry = w.send(w.invoice(2715), effective=date(2025, 3, 18))
        s.commit()
        stray = returned("R01", entry, amount=999)  # no entry with this trace *and* amount: unmatched
        reconcile_return_file(s, return_file(tmp_path, [stray], date(2025, 3, 19)), name="r1.ach",
                              received_on=date(2025, 3, 19), cipher=CIPHER)
        s.commit()
    engine.dispose()
    monkeypatch.setenv("PAYGO_DATABASE_URL", db_url)
    monkeypatch.setenv("PAYGO_HOME", str(tmp_path))
    assert main(["exceptions", "--json"]) == 0
    [item] = json.loads(capsys.readouterr().out)
    assert item["resolved_at"] is None and "unmatched" in item["kind"]
    assert main(["exceptions", "--resolve", str(item["id"])]) == 2  # a note is required
    assert main(["exceptions", "--resolve", str(item["id"]), "--note", "bank confirmed a typo"]) == 0
    assert main(["exceptions", "--resolve", str(item["id"]), "--note", "second try"]) == 0
    assert "already resolved" in capsys.readouterr().out
    assert main(["exceptions", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["exceptions", "--all", "--json"]) == 0
    [done] = json.loads(capsys.readouterr().out)
    assert done["resolution"] == "bank confirmed a typo"
