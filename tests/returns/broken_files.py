"""Return files cut or altered the ways transfers and banks break them (issue 17), from a good one.

`good_file` writes, with the sandbox bank's writer, a file of three returns and one NOC laid out as
line 1 File Header; 2 Batch Header (CCD returns); 3/4, 5/6, 7/8 entry + addenda 99; 9 Batch Control;
10 Batch Header (COR); 11/12 entry + addenda 98; 13 Batch Control; 14 File Control; 15-20 9-fill.
`BROKEN[name] = (alter, (record, field, rule))`: `alter(good)` is the broken file and the triple is
one error every reader must report for it (rules starting "mismatch" are matched by prefix).
"""

from __future__ import annotations

import gzip
from datetime import date

FILL = "9" * 94


def good_file(tmp_path, returns: list[dict], noc: dict, today: date, n: int = 1) -> bytes:
    from paygo.ach.sandbox_bank import SandboxBank

    data = SandboxBank(tmp_path / f"bank{n}").return_file([*returns, noc], today, n)
    assert len(lines(data)) == 20, "the layout the alterations expect"
    return data


def lines(data: bytes) -> list[str]:
    return data.decode("ascii").split("\n")[:-1]


def join(ls: list[str], end: str = "\n") -> bytes:
    return ("\n".join(ls) + end).encode("ascii")


def put(line: str, position: int, text: str) -> str:
    """`line` with `text` written from 1-based `position` on."""
    return line[: position - 1] + text + line[position - 1 + len(text) :]


def bump(line: str, position: int, width: int, by: int = 1) -> str:
    """A numeric field of `line` (1-based position, width) increased by `by`."""
    value = int(line[position - 1 : position - 1 + width]) + by
    return put(line, position, str(value).zfill(width))


def change(data: bytes, index: int, new: str) -> bytes:
    ls = lines(data)
    ls[index] = new
    return join(ls)


def _indicator_without_addenda(data: bytes) -> bytes:
    """The first return's addenda removed, every count kept consistent: only the indicator says 1."""
    ls = lines(data)
    del ls[3]  # line 4: the addenda 99 of the entry on line 3
    ls[7] = bump(ls[7], 5, 6, -1)  # Batch Control entry/addenda count
    ls[12] = bump(ls[12], 14, 8, -1)  # File Control entry/addenda count
    return join(ls + [FILL])  # still 20 records: whole blocks of ten


def _line(data: bytes, index: int) -> str:
    return lines(data)[index]


BROKEN = {
    # truncated
    "cut after the first return, no controls": (lambda d: join(lines(d)[:4]),
                                                ("FileControl", "record_type", "missing")),
    "cut in the middle of the second addenda": (lambda d: join(lines(d)[:5] + [lines(d)[5][:40]], ""),
                                                ("Record", "length", "short")),
    "cut after an entry, before its addenda": (lambda d: join(lines(d)[:5]),
                                               ("EntryDetail", "addenda_record_indicator", "addenda_mismatch")),
    "half the file": (lambda d: d[: len(d) // 2], ("FileControl", "record_type", "missing")),
    "the last byte missing": (lambda d: d[:-2] + b"\n", ("Record", "record_type", "after_file_control")),
    "the last byte and line feed missing": (lambda d: d[:-2], ("Record", "record_type", "after_file_control")),
    "9-fill cut short": (lambda d: join(lines(d)[:17]), ("File", "block_count", "fill_incomplete")),
    "no File Control": (lambda d: join(lines(d)[:13]), ("FileControl", "record_type", "missing")),
    # controls
    "wrong batch debit total": (lambda d: change(d, 8, bump(_line(d, 8), 21, 12)),
                                ("BatchControl", "total_debit", "mismatch")),
    "wrong file debit total": (lambda d: change(d, 13, bump(_line(d, 13), 32, 12)),
                               ("FileControl", "total_debit", "mismatch")),
    "wrong batch entry hash": (lambda d: change(d, 8, bump(_line(d, 8), 11, 10)),
                               ("BatchControl", "entry_hash", "mismatch")),
    "wrong file entry hash": (lambda d: change(d, 13, bump(_line(d, 13), 22, 10)),
                              ("FileControl", "entry_hash", "mismatch")),
    "wrong batch entry/addenda count": (lambda d: change(d, 8, bump(_line(d, 8), 5, 6)),
                                        ("BatchControl", "entry_addenda_count", "mismatch")),
    "wrong file entry/addenda count": (lambda d: change(d, 13, bump(_line(d, 13), 14, 8)),
                                       ("FileControl", "entry_addenda_count", "mismatch")),
    "wrong batch count": (lambda d: change(d, 13, bump(_line(d, 13), 2, 6)),
                          ("FileControl", "batch_count", "mismatch")),
    # records
    "an entry of 93 characters": (lambda d: change(d, 2, _line(d, 2)[:50] + _line(d, 2)[51:]),
                                  ("EntryDetail", "trace_number", "numeric")),
    "a File Control of 93 characters": (lambda d: change(d, 13, _line(d, 13)[:60] + _line(d, 13)[61:]),
                                        ("Record", "length", "short")),
    "an entry of 95 characters": (lambda d: change(d, 2, _line(d, 2)[:50] + "X" + _line(d, 2)[50:]),
                                  ("Record", "length", "too_long")),
    "an entry before any batch header": (lambda d: join(lines(d)[:1] + [lines(d)[2]] + lines(d)[1:]),
                                         ("EntryDetail", "record_type", "outside_batch")),
    "addenda indicator 1 with no addenda": (_indicator_without_addenda,
                                            ("EntryDetail", "addenda_record_indicator", "addenda_mismatch")),
    "an amount that is not numeric": (lambda d: change(d, 2, put(_line(d, 2), 30, "00000010X1")),
                                      ("EntryDetail", "amount", "numeric")),
    "a wrong RDFI check digit": (lambda d: change(d, 2, bump(_line(d, 2), 12, 1, 1 if _line(d, 2)[11] != "9" else -1)),
                                 ("EntryDetail", "check_digit", "check_digit")),
    "an unknown return code": (lambda d: change(d, 3, put(_line(d, 3), 4, "R96")),
                               ("Addenda99", "return_code", "code")),
    "a truncated gzip archive": (lambda d: gzip.compress(d)[:-20], ("File", "gzip", "truncated_or_corrupt")),
}

NOT_NACHA = {
    "empty": b"",
    "blank": b"   \n\n  \r\n",
    "csv": b"fein,invoice,amount\n123456789,INV-000001,414.43\n",
    "only 9-fill": join([FILL] * 10),
}


def has_error(deviations, expected: tuple[str, str, str]) -> bool:
    record, field_, rule = expected
    return any(d.severity == "error" and d.record == record and d.field == field_ and d.rule.startswith(rule)
               for d in deviations)
