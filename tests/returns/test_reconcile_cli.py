"""Pins `paygo ach reconcile FILE` and `paygo ach settle --date`: a summary with masked accounts, safe to
run twice (the second reconcile says "already reconciled" and changes nothing)."""

from datetime import date
from pathlib import Path

from paygo.cli import main
from paygo.db.session import make_engine, session_scope
from returns_factory import make_world

FIXTURES = Path("/work/shared/fixtures/nacha")


def test_reconcile_and_settle_commands(db_url, tmp_path, monkeypatch, capsys):
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        w = make_world(s)
        w.send(w.invoice(12354), effective=date(2025, 3, 18), trace="091400600000001")
        w.send(w.invoice(2715, 150), effective=date(2025, 3, 18))
    engine.dispose()
    monkeypatch.setenv("PAYGO_DATABASE_URL", db_url)
    monkeypatch.setenv("PAYGO_HOME", str(tmp_path))
    args = ["ach", "reconcile", str(FIXTURES / "return-WEB.ach"), "--date", "2025-03-20"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "retries scheduled  1" in out and "exceptions         1" in out and "****0123" in out
    assert "9876543210123" not in out
    assert main(args) == 0
    assert "already reconciled" in capsys.readouterr().out
    assert main(["ach", "settle", "--date", "2025-03-20"]) == 0
    out = capsys.readouterr().out
    # 2865 settled; wallet 2715 - 136 = 2579
    assert "settled 1 entries, $28.65" in out and "to wallet $25.79" in out
