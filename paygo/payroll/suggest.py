"""Suggesting a mapping profile for an unknown payroll file (`paygo mapping suggest`).

Rule (issue 13): each header is matched to a canonical column by known aliases first (exact
after normalising case and spaces: `Worker ID` is an alias of employee_id), then by fuzzy
matching with rapidfuzz (`fuzz.WRatio` on the normalised names) at or above `THRESHOLD`; every
proposal shows how it was found, its score and the column's first sample values, so a person can
judge it. A column matched twice to one canonical column keeps the better score. The written
profile says `confirmed = false`: it cannot be loaded, and so nothing is billed from it, until a
person has checked it and set `confirmed = true`. Example: `Employe Numbr` is not an alias; it
scores 92 against `employeenumber` (`fuzz.ratio` of the normalised names) and is proposed as
employee_id (fuzzy, 92); `Rate` matches nothing at 85 or above and is left for the person.

Long layouts are proposed when a header reads like a pay-component code column beside an
amount column (Paychex's `Pay Component`/`Amount`); code/amount pairs when headers come in
numbered pairs (`Earnings 3 Code`/`Earnings 3 Amount`); the codes found are matched the same way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from paygo.payroll.columns import ALL_COLUMNS, DATE_COLUMNS, MONEY_COLUMNS
from paygo.payroll.profile import builtin_profiles, normalize_header
from paygo.payroll.sheets import GridError, read_grid

THRESHOLD = 85
SAMPLES = 3
# Header variants seen in payroll exports (besides the canonical names and every built-in profile's headers).
EXTRA_ALIASES: dict[str, str] = {
    "fein": "employer_fein", "ein": "employer_fein", "federal ein": "employer_fein", "employer ein": "employer_fein",
    "policy": "policy_number", "policy no": "policy_number", "policy #": "policy_number",
    "wc policy": "policy_number", "payroll id": "payroll_run_id", "run id": "payroll_run_id",
    "check date": "pay_date", "pay date": "pay_date", "payday": "pay_date", "period begin": "period_start",
    "period start date": "period_start", "period end date": "period_end", "period ending": "period_end",
    "employee id": "employee_id", "employee number": "employee_id", "emp id": "employee_id",
    "worker id": "employee_id", "file number": "employee_id", "officer": "is_officer", "corporate officer": "is_officer",
    "work state": "state", "state code": "state", "wc state": "state", "class code": "class_code",
    "wc code": "class_code", "comp code": "class_code", "workers comp code": "class_code",
    "regular pay": "regular_pay", "regular earnings": "regular_pay", "reg pay": "regular_pay",
    "regular wages": "regular_pay", "overtime pay": "overtime_pay", "overtime earnings": "overtime_pay",
    "ot pay": "overtime_pay", "double time": "double_time_pay", "double time pay": "double_time_pay",
    "overtime premium": "overtime_premium", "ot premium": "overtime_premium", "bonus": "bonus_pay",
    "commission": "commission_pay", "commissions": "commission_pay", "pto": "pto_pay", "vacation pay": "pto_pay",
    "holiday pay": "pto_pay", "sick pay": "pto_pay", "tips": "tips", "reported tips": "tips",
    "severance": "severance_pay", "expense reimbursement": "expense_reimbursement",
    "reimbursements": "expense_reimbursement", "uniform allowance": "uniform_allowance",
}
# Pay-component codes of long and paired layouts.
CODE_ALIASES: dict[str, str] = {
    "regular": "regular_pay", "hourly": "regular_pay", "salary": "regular_pay", "reg": "regular_pay",
    "overtime": "overtime_pay", "ot": "overtime_pay", "double time": "double_time_pay", "dt": "double_time_pay",
    "bonus": "bonus_pay", "commission": "commission_pay", "vacation": "pto_pay", "holiday": "pto_pay",
    "sick": "pto_pay", "pto": "pto_pay", "tips": "tips", "reimbursement": "expense_reimbursement",
    "severance": "severance_pay",
}
CODE_COLUMN = re.compile(r"^(paycomponent|earningcode|earningscode|paycode|code|component|earningtype|paytype)$")
AMOUNT_COLUMN = re.compile(r"^(amount|amt|earningsamount|payamount)$")
PAIR = re.compile(r"^(.*?)([0-9]+)(code|amount)$")


@dataclass(frozen=True)
class Proposal:
    header: str
    canonical: str | None  # None: nothing proposed
    how: str  # "alias" | "fuzzy" | "code column" | "amount column" | "pair" | "unmatched"
    score: int  # 100 for an alias
    samples: tuple[str, ...]


@dataclass(frozen=True)
class Suggestion:
    profile_toml: str
    columns: tuple[Proposal, ...]
    codes: tuple[Proposal, ...]
    layout: str
    header_row: int  # records above the header (file.skip_rows)


def _aliases() -> dict[str, str]:
    out = {normalize_header(c): c for c in ALL_COLUMNS}
    for profile in builtin_profiles().values():
        out.update({normalize_header(h): c for h, c in profile.columns.items()})
    out.update({normalize_header(h): c for h, c in EXTRA_ALIASES.items()})
    return out


def _match(name: str, aliases: dict[str, str]) -> tuple[str | None, str, int]:
    from rapidfuzz import fuzz, process

    norm = normalize_header(name)
    if norm in aliases:
        return aliases[norm], "alias", 100
    if len(norm) < 3:  # a one- or two-letter code is matched exactly or not at all
        return None, "unmatched", 0
    best = process.extractOne(norm, list(aliases), scorer=fuzz.ratio, score_cutoff=THRESHOLD)
    if best is None:
        return None, "unmatched", 0
    return aliases[best[0]], "fuzzy", int(round(best[1]))


def _header_index(rows: list[tuple]) -> int:
    """The row that most looks like a header: the most non-empty cells that are not numbers or money."""
    def score(record: tuple) -> int:
        return sum(1 for c in record[1:] if c and not re.fullmatch(r"[-$()0-9.,/: ]+", c))
    best = max(range(len(rows)), key=lambda i: (score(rows[i]), -i)) if rows else 0
    return best


def _toml(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def suggest_profile(data: bytes, file_name: str, company: str | None = None, sheet: str | None = None
                    ) -> Suggestion:
    """A profile for a file no profile reads yet (module docstring); GridError when it cannot be read."""
    suffix = Path(file_name).suffix.lower().lstrip(".")
    kind = suffix if suffix in ("xlsx", "xls") else "csv"
    grid = read_grid(data, kind, sheet)
    top = grid.cells.head(50).rows()
    at = _header_index(top)
    header = [c or "" for c in top[at][1:]] if top else []
    body = grid.cells.filter(pl.col("line") > (top[at][0] if top else 0))
    aliases = _aliases()

    def samples(position: int) -> tuple[str, ...]:
        col = f"c{position}"
        return tuple(body.select(pl.col(col).drop_nulls().head(SAMPLES)).to_series().to_list())

    columns: list[Proposal] = []
    code_col = amount_col = None
    pairs: dict[str, dict[str, str]] = {}
    for i, name in enumerate(header):
        norm = normalize_header(name)
        if not norm:
            continue
        pair = PAIR.match(norm)
        if CODE_COLUMN.match(norm) and code_col is None:
            code_col = (i, name)
            columns.append(Proposal(name, None, "code column", 100, samples(i)))
        elif AMOUNT_COLUMN.match(norm) and amount_col is None:
            amount_col = (i, name)
            columns.append(Proposal(name, None, "amount column", 100, samples(i)))
        elif pair and pair.group(1) in ("earnings", "earning", "other earnings"):
            pairs.setdefault(pair.group(2), {})[pair.group(3)] = name
            columns.append(Proposal(name, None, "pair", 100, samples(i)))
        else:
            canonical, how, score = _match(name, aliases)
            columns.append(Proposal(name, canonical, how, score, samples(i)))
    # one header per canonical column: keep the best score, the others become unmatched
    best: dict[str, Proposal] = {}
    for p in columns:
        if p.canonical and (p.canonical not in best or p.score > best[p.canonical].score):
            best[p.canonical] = p
    columns = [p if p.canonical is None or best[p.canonical] is p else
               Proposal(p.header, None, f"unmatched (also {p.canonical}, {p.score})", 0, p.samples) for p in columns]

    layout = "long" if code_col and amount_col else "pairs" if any(len(v) == 2 for v in pairs.values()) else "wide"
    codes: list[Proposal] = []
    code_texts: list[str] = []
    if layout == "long":
        code_texts = body.select(pl.col(f"c{code_col[0]}").drop_nulls().unique(maintain_order=True)).to_series().to_list()
    elif layout == "pairs":
        for number, pair in sorted(pairs.items()):
            if len(pair) == 2:
                i = header.index(pair["code"])
                code_texts += body.select(pl.col(f"c{i}").drop_nulls().unique(maintain_order=True)).to_series().to_list()
    code_aliases = {normalize_header(k): v for k, v in CODE_ALIASES.items()}
    for code in dict.fromkeys(code_texts):
        canonical, how, score = _match(code, code_aliases)
        codes.append(Proposal(code, canonical, how, score, ()))

    text = _profile_text(file_name, company, kind, sheet, at, layout, columns, codes, code_col, amount_col)
    return Suggestion(text, tuple(columns), tuple(codes), layout, at)


def _formats(columns: list[Proposal]) -> tuple[str, str, str]:
    dates = [s for p in columns if p.canonical in DATE_COLUMNS for s in p.samples]
    money = [s for p in columns if p.canonical in MONEY_COLUMNS or p.how == "amount column" for s in p.samples]
    date_format = "MM/DD/YYYY" if any(re.fullmatch(r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}", d) for d in dates) else \
        "YYYY-MM-DD"
    money_format = "us" if any("$" in s or "," in s for s in money) else "plain"
    negatives = "parentheses" if any(s.startswith("(") for s in money) else \
        "minus" if any(s.startswith("-") for s in money) else "none"
    return date_format, money_format, negatives


def _profile_text(file_name, company, kind, sheet, at, layout, columns, codes, code_col, amount_col) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", Path(file_name).stem.lower()).strip("-")[:40] or "suggested"
    pid = re.sub(r"[^a-z0-9._-]+", "-", f"{company}-{stem}" if company else stem)[:64]
    date_format, money_format, negatives = _formats(columns)
    out = [
        f"# Suggested by `paygo mapping suggest` from {Path(file_name).name}: CHECK EVERY LINE, then set",
        "# confirmed = true. Nothing is billed from an unconfirmed profile (docs/payroll-mappings.md).",
        "format = 1", f"id = {_toml(pid)}", f"name = {_toml('Suggested for ' + Path(file_name).name)}",
    ]
    if company:
        out.append(f"company = {_toml(company)}")
    out.append("confirmed = false")
    ignore = [p.header for p in columns if p.canonical is None and p.how.startswith("unmatched")
              and not any(re.search(r"[0-9]\.[0-9]{2}\b|\$", s) for s in p.samples)]
    if ignore:
        out.append(f"# columns with no match and no money in their samples; money columns must be mapped or listed here")
        out.append(f"ignore = [{', '.join(_toml(h) for h in ignore)}]")
    out += ["", "[file]", f"kind = {_toml(kind)}"]
    if sheet:
        out.append(f"sheet = {_toml(sheet)}")
    if at:
        out.append(f"skip_rows = {at}")
    out += ["", "[formats]", f"date = {_toml(date_format)}", f"money = {_toml(money_format)}",
            f"negatives = {_toml(negatives)}"]
    if layout == "long":
        out += ["", "[layout]", 'kind = "long"', f"code_column = {_toml(code_col[1])}",
                f"amount_column = {_toml(amount_col[1])}"]
    elif layout == "pairs":
        code_h = next(p.header for p in columns if p.how == "pair" and normalize_header(p.header).endswith("code"))
        amount_h = next(p.header for p in columns if p.how == "pair" and normalize_header(p.header).endswith("amount"))
        out += ["", "[layout]", 'kind = "pairs"', f"code_header = {_toml(re.sub(r'[0-9]+', '{n}', code_h, 1))}",
                f"amount_header = {_toml(re.sub(r'[0-9]+', '{n}', amount_h, 1))}"]
    out += ["", "[columns]"]
    for p in columns:
        shown = ", ".join(repr(s)[:30] for s in p.samples)
        if p.canonical:
            out.append(f"{_toml(p.header)} = {_toml(p.canonical)}  # {p.how} {p.score}; samples: {shown}")
        elif p.how.startswith("unmatched"):
            out.append(f"# {_toml(p.header)} = ?  # {p.how}; samples: {shown}")
    if codes:
        out += ["", "[codes]"]
        for c in codes:
            if c.canonical:
                out.append(f"{_toml(c.header)} = {_toml(c.canonical)}  # {c.how} {c.score}")
            else:
                out.append(f"# {_toml(c.header)} = ?  # unmatched: map it to a pay column or to \"ignore\"")
    missing = [c for c in ("employer_fein", "policy_number", "payroll_run_id", "pay_date", "period_start",
                           "period_end", "employee_id", "state", "class_code")
               if c not in {p.canonical for p in columns}]
    if missing:
        out += ["", "# Nothing in the file gives these required columns: fix them here, derive them, or let the",
                "# roster supply state and class_code (and is_officer).", "[fixed]"]
        out += [f"# {c} = \"...\"" for c in missing if c not in ("state", "class_code")]
    return "\n".join(out) + "\n"
