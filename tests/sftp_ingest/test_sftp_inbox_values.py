"""Pins the pure inbox rules: safe names, run keys, settling and the sensor cursor (sftp_ingest.inbox)."""

import pytest

from sftp_ingest.inbox import InboxCursor, RemoteFile, is_safe_name, unchanged_between


def rf(name: str, mtime: int, size: int = 10) -> RemoteFile:
    return RemoteFile(path=f"/inbox/{name}", name=name, size=size, mtime=mtime)


@pytest.mark.parametrize("name, safe", [
    ("payroll-2024-07-05.csv", True),
    ("Payroll (1).csv", True),        # spaces and brackets are ordinary
    ("paie_été.csv", True),           # non-ASCII letters are printable
    ("", False),
    ("../etc/passwd", False),         # slash and ..
    ("..", False),
    ("a..csv", False),                # any ".." is refused, conservatively
    ("sub/p.csv", False),
    ("sub\\p.csv", False),            # backslash: a path on Windows-minded servers
    (".hidden.csv", False),           # dot files are hidden / temporary
    ("p.csv.part", False),            # temporary upload name
    ("p.csv.PART", False),
    ("p.tmp", False),
    ("bell\x07.csv", False),          # control character
    ("nl\n.csv", False),
    ("evil\u202evsc.csv", False),     # right-to-left override hides the real extension
    (" p.csv", False),                # leading blank
    ("p.csv ", False),                # trailing blank
    ("x" * 255, True),
    ("x" * 256, False),               # longer than a file name can be
])
def test_is_safe_name(name, safe):
    assert is_safe_name(name) is safe


def test_run_key_is_path_mtime_size():
    # "/inbox/p1.csv" + ":" + "1720000000" + ":" + "2048"
    assert rf("p1.csv", 1_720_000_000, 2048).run_key == "/inbox/p1.csv:1720000000:2048"


def test_empty_cursor_from_first_tick():
    assert InboxCursor.loads(None) == InboxCursor.loads("") == InboxCursor()


def test_cursor_round_trips_through_json():
    cursor = InboxCursor(mtime=100, paths=frozenset({"/inbox/b.csv", "/inbox/a.csv"}))
    assert cursor.dumps() == '{"mtime":100,"paths":["/inbox/a.csv","/inbox/b.csv"]}'  # sorted paths
    assert InboxCursor.loads(cursor.dumps()) == cursor


def test_worked_example_from_module_docstring():
    cursor = InboxCursor(mtime=100, paths=frozenset({"/inbox/a.csv"}))
    listing = [rf("a.csv", 100), rf("b.csv", 100), rf("c.csv", 650), rf("d.csv", 900)]
    # now - settle = 1000 - 300 = 700: d.csv (900) is too young; a.csv was seen at 100.
    new = cursor.new_files(listing, settle_seconds=300, now=1000)
    assert [f.name for f in new] == ["b.csv", "c.csv"]
    assert cursor.advanced(new) == InboxCursor(mtime=650, paths=frozenset({"/inbox/c.csv"}))


def test_repeat_tick_after_advance_returns_nothing():
    listing = [rf("a.csv", 100), rf("b.csv", 100)]
    cursor = InboxCursor().advanced(InboxCursor().new_files(listing, settle_seconds=0, now=200))
    assert cursor.new_files(listing, settle_seconds=0, now=200) == []


def test_same_second_arrivals_accumulate_at_high_water():
    # a.csv handed out at mtime 100, then b.csv appears with the same mtime: it is new,
    # and the cursor remembers both paths at 100.
    cursor = InboxCursor(mtime=100, paths=frozenset({"/inbox/a.csv"}))
    new = cursor.new_files([rf("a.csv", 100), rf("b.csv", 100)], settle_seconds=0, now=100)
    assert [f.name for f in new] == ["b.csv"]
    assert cursor.advanced(new).paths == {"/inbox/a.csv", "/inbox/b.csv"}


def test_reupload_under_same_name_is_new_with_new_run_key():
    cursor = InboxCursor(mtime=100, paths=frozenset({"/inbox/p1.csv"}))
    [again] = cursor.new_files([rf("p1.csv", 160, size=11)], settle_seconds=30, now=200)
    assert again.run_key == "/inbox/p1.csv:160:11"


@pytest.mark.parametrize("mtime, now, settle, ready", [
    (700, 1000, 300, True),   # 1000 - 300 = 700: exactly settled
    (701, 1000, 300, False),  # one second too young
    (1000, 1000, 0, True),    # no settle time asked for
])
def test_settle_boundary(mtime, now, settle, ready):
    assert bool(InboxCursor().new_files([rf("p.csv", mtime)], settle, now)) is ready


def test_unchanged_between_drops_growing_and_touched_files():
    first = [rf("stable.csv", 100, 10), rf("growing.csv", 100, 10), rf("touched.csv", 100, 10)]
    second = [rf("stable.csv", 100, 10), rf("growing.csv", 101, 20), rf("touched.csv", 105, 10),
              rf("arrived.csv", 105, 5)]  # arrived between listings: not yet seen twice
    assert [f.name for f in unchanged_between(first, second)] == ["stable.csv"]
