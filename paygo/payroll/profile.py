"""Mapping profiles: how one payroll company's export becomes the canonical payroll file.

A profile is a TOML document (docs/payroll-mappings.md; JSON Schema
`paygo/payroll/profiles/profile.schema.json`) that says which file kind to read (CSV, XLSX,
XLS; the sheet), where the header is, which header names are which canonical columns (matched
case- and space-insensitively: `Worker  ID` is `worker id`), which earning codes are which pay
columns in a long or code/amount-pair layout, how dates and money are written, and which values
are fixed or derived (the payroll run id, the policy number). Example: the built-in
`paychex-flex-pay-data` maps `"Worker ID" = "employee_id"`, codes `REG` -> `regular_pay` and
`OT` -> `overtime_pay`, and derives `pay_date = "{period_end}"`.

A profile is validated when it is loaded: first against the JSON Schema, then for meaning
(canonical names, a code column for a long layout, two keys that are one header after
normalising). Every problem names the file, the line and the key: `acme.toml:12: columns."Reg
Pay": 'regular_wages' is not a canonical column`. Its version is the first 12 hex digits of the
SHA-256 of the merged profile as canonical JSON, so any change of meaning changes the version
stored with each payroll file, and a change of comments or layout of the TOML does not.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from paygo.payroll.columns import ALL_COLUMNS, MONEY_COLUMNS

BUILTIN_DIR = Path(__file__).resolve().parent / "profiles"
SCHEMA_PATH = BUILTIN_DIR / "profile.schema.json"
CANONICAL_ID = "canonical"
IGNORE = "ignore"
PERIOD = "period"  # a preamble value `MM/DD/YYYY - MM/DD/YYYY` giving period_start and period_end
TEMPLATE_NAMES = frozenset(ALL_COLUMNS) | {"file_stem"}
TEXT_COLUMNS = tuple(c for c in ALL_COLUMNS if c not in MONEY_COLUMNS)

# Date formats a profile may name, as chrono formats (polars' str.to_date).
DATE_FORMATS: dict[str, str] = {
    "YYYY-MM-DD": "%Y-%m-%d", "MM/DD/YYYY": "%m/%d/%Y", "M/D/YYYY": "%m/%d/%Y", "MM-DD-YYYY": "%m-%d-%Y",
    "YYYYMMDD": "%Y%m%d", "DD/MM/YYYY": "%d/%m/%Y",
}


def normalize_header(name: str) -> str:
    """How header names are compared: every space removed, lower case. `Worker ID` == `workerid`."""
    return re.sub(r"\s+", "", name).lower()


@dataclass(frozen=True)
class ProfileProblem:
    source: str
    line: int | None
    key: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.key}: {self.reason}" if self.key else f"{where}: {self.reason}"


class ProfileError(ValueError):
    def __init__(self, problems: list[ProfileProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class DropRule:
    column: str
    equals: str | None = None
    starts_with: str | None = None


@dataclass(frozen=True)
class Profile:
    id: str
    version: str  # 12 hex digits of the merged profile's canonical JSON
    name: str = ""
    source: str = ""  # the file it was read from, or "built-in"
    extends: str | None = None  # the built-in profile it starts from
    company: str | None = None
    employer_fein: str | None = None
    confirmed: bool = True
    kind: str = "csv"
    sheet: str | None = None
    skip_rows: int = 0
    names: tuple[str, ...] = ()  # file-name globs that choose this profile; () = any name
    date_format: str = "YYYY-MM-DD"
    money_format: str = "plain"
    negatives: str = "none"
    preamble: dict[str, str] = field(default_factory=dict)  # label -> canonical column or "period"
    columns: dict[str, str] = field(default_factory=dict)  # header -> canonical column
    ignore: tuple[str, ...] = ()
    totals: dict[str, tuple[str, ...]] = field(default_factory=dict)  # total header -> pay columns it adds up
    drop_rows: tuple[DropRule, ...] = ()
    layout: str = "wide"
    code_column: str | None = None
    amount_column: str | None = None
    code_header: str | None = None
    amount_header: str | None = None
    codes: dict[str, str] = field(default_factory=dict)  # earning code -> money column or "ignore"
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> {file text -> canonical text}
    fixed: dict[str, str] = field(default_factory=dict)
    derived: dict[str, str] = field(default_factory=dict)  # column -> template with {column} / {file_stem}

    @property
    def is_canonical(self) -> bool:
        return self.id == CANONICAL_ID

    @property
    def label(self) -> str:
        """What is stored with a payroll file and printed on its invoice: `id@version`."""
        return f"{self.id}@{self.version}"


@lru_cache(maxsize=1)
def _validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


def _key_text(path: list) -> str:
    parts = []
    for p in path:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        else:
            text = p if re.fullmatch(r"[A-Za-z0-9_-]+", p) else json.dumps(p)
            parts.append(("." if parts else "") + text)
    return "".join(parts)


def _line_of(text: str, path: list) -> int | None:
    """The line of the TOML text where `path` is written: the table header of path[0], then the
    first line after it naming the last key (quoted or bare); None when it cannot be found."""
    if not path:
        return None
    lines = text.splitlines()
    keys = [p for p in path if isinstance(p, str)]
    start = 0
    for i, line in enumerate(lines):
        if re.match(rf"\s*\[\[?\s*{re.escape(keys[0])}\s*\]", line):
            start = i
            break
    last = keys[-1]
    pattern = re.compile(rf'(^|[\s{{,])("{re.escape(last)}"|\'{re.escape(last)}\'|{re.escape(last)})\s*=')
    for i in range(start, len(lines)):
        if pattern.search(lines[i]):
            return i + 1
    return start + 1 if start or re.match(r"\s*\[", lines[0] if lines else "") else None


ADDED_LISTS = ("ignore", "drop_rows")  # extending a built-in adds to these lists; other values replace


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        elif k in ADDED_LISTS and isinstance(v, list) and isinstance(out.get(k), list):
            out[k] = out[k] + [x for x in v if x not in out[k]]
        else:
            out[k] = v
    return out


def _meaning_problems(doc: dict) -> list[tuple[list, str]]:
    """Problems the JSON Schema cannot state: canonical names, the layout's needs, duplicates."""
    out: list[tuple[list, str]] = []
    all_cols = set(ALL_COLUMNS)
    for header, target in doc.get("columns", {}).items():
        if target not in all_cols:
            out.append((["columns", header], f"{target!r} is not a canonical column (spec/payroll-file.md)"))
    seen: dict[str, str] = {}
    names = [*doc.get("columns", {}), *doc.get("ignore", []), *doc.get("totals", [])]
    for header in names:
        norm = normalize_header(header)
        if not norm:
            out.append((["columns", header], "a header name must not be empty"))
        elif norm in seen and seen[norm] != header:
            out.append((["columns", header], f"{header!r} and {seen[norm]!r} are the same header (case and spaces "
                                             "do not count)"))
        elif norm in seen:
            out.append((["columns", header], f"{header!r} is listed more than once (columns, ignore, totals)"))
        seen[norm] = header
    for header, parts in doc.get("totals", {}).items():
        for part in parts:
            if part not in MONEY_COLUMNS:
                out.append((["totals", header], f"{part!r} is not a pay column"))
    for label, target in doc.get("preamble", {}).items():
        if target not in all_cols and target != PERIOD:
            out.append((["preamble", label], f"{target!r} is not a canonical column or {PERIOD!r}"))
    for code, target in doc.get("codes", {}).items():
        if target not in MONEY_COLUMNS and target != IGNORE:
            out.append((["codes", code], f"{target!r} is not a pay column ({', '.join(MONEY_COLUMNS)}) or "
                                         f"{IGNORE!r}"))
    for table in ("values", "fixed", "derived"):
        for column in doc.get(table, {}):
            if column not in TEXT_COLUMNS:
                out.append(([table, column], f"{column!r} is not a canonical column that holds text (money comes "
                                             "from the file)"))
    for column, template in doc.get("derived", {}).items():
        for name in re.findall(r"\{([^}]*)\}", template):
            if name not in TEMPLATE_NAMES:
                out.append((["derived", column], f"{{{name}}} is not a canonical column or file_stem"))
    for column in doc.get("fixed", {}):
        if column in doc.get("derived", {}):
            out.append((["fixed", column], "is both fixed and derived"))
        if column in doc.get("columns", {}).values():
            out.append((["fixed", column], "is fixed and also mapped from a file column"))
    layout = doc.get("layout", {})
    kind = layout.get("kind", "wide")
    need = {"long": ("code_column", "amount_column"), "pairs": ("code_header", "amount_header")}.get(kind, ())
    for key in need:
        if key not in layout:
            out.append((["layout", "kind"], f"a {kind} layout needs layout.{key}"))
    if kind == "wide" and doc.get("codes"):
        out.append((["codes"], "earning codes need layout.kind = \"long\" or \"pairs\""))
    return out


def _from_doc(doc: dict, version: str, source: str, extends: str | None = None) -> Profile:
    f, fm, lay = doc.get("file", {}), doc.get("formats", {}), doc.get("layout", {})
    fein = doc.get("employer_fein")
    fixed = dict(doc.get("fixed", {}))
    given = set(doc.get("columns", {}).values()) | set(doc.get("derived", {})) | set(doc.get("preamble", {}).values())
    if fein and "employer_fein" not in given:  # an employer's profile: its files are that employer's
        fixed.setdefault("employer_fein", fein.replace("-", ""))
    return Profile(
        id=doc["id"], version=version, name=doc.get("name", ""), source=source, extends=extends,
        company=doc.get("company"),
        employer_fein=fein.replace("-", "") if fein else None, confirmed=doc.get("confirmed", True),
        kind=f.get("kind", "csv"), sheet=f.get("sheet"), skip_rows=f.get("skip_rows", 0),
        names=tuple(f.get("names", ())), date_format=fm.get("date", "YYYY-MM-DD"),
        money_format=fm.get("money", "plain"), negatives=fm.get("negatives", "none"),
        preamble=dict(doc.get("preamble", {})), columns=dict(doc.get("columns", {})),
        ignore=tuple(doc.get("ignore", ())), totals={k: tuple(v) for k, v in doc.get("totals", {}).items()},
        drop_rows=tuple(DropRule(r["column"], r.get("equals"), r.get("starts_with")) for r in doc.get("drop_rows", ())),
        layout=lay.get("kind", "wide"), code_column=lay.get("code_column"), amount_column=lay.get("amount_column"),
        code_header=lay.get("code_header"), amount_header=lay.get("amount_header"),
        codes=dict(doc.get("codes", {})), values={k: dict(v) for k, v in doc.get("values", {}).items()},
        fixed=fixed, derived=dict(doc.get("derived", {})),
    )


def parse_profile(text: str, source: str, *, builtins: dict[str, dict] | None = None) -> Profile:
    """Read one profile's TOML text; raise ProfileError listing every problem with line and key."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise ProfileError([ProfileProblem(source, int(line.group(1)) if line else None, "",
                                           f"not valid TOML: {exc}")]) from None
    problems = _schema_problems(doc, text, source)
    if problems:
        raise ProfileError(problems)
    merged = doc
    if "extends" in doc:
        raws = _builtin_docs() if builtins is None else builtins
        base = raws.get(doc["extends"])
        if base is None:
            raise ProfileError([ProfileProblem(source, _line_of(text, ["extends"]), "extends",
                                               f"no built-in profile {doc['extends']!r} (built-ins: "
                                               f"{', '.join(sorted(raws))})")])
        merged = _merge(base, {k: v for k, v in doc.items() if k != "extends"})
    problems = [ProfileProblem(source, _line_of(text, path), _key_text(path), reason)
                for path, reason in _meaning_problems(merged)]
    if problems:
        raise ProfileError(problems)
    version = hashlib.sha256(json.dumps(merged, sort_keys=True).encode()).hexdigest()[:12]
    return _from_doc(merged, version, source, doc.get("extends"))


def _schema_problems(doc: dict, text: str, source: str) -> list[ProfileProblem]:
    errors = sorted(_validator().iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    out = []
    for e in errors:
        path = list(e.absolute_path)
        if e.validator == "additionalProperties":
            extra = re.findall(r"'([^']+)' was unexpected", e.message)
            for key in extra or [""]:
                out.append(ProfileProblem(source, _line_of(text, path + [key]), _key_text(path + [key]),
                                          "is not a key of the profile format"))
            continue
        out.append(ProfileProblem(source, _line_of(text, path), _key_text(path), e.message))
    return out


@lru_cache(maxsize=1)
def _builtin_docs() -> dict[str, dict]:
    return {p.stem: tomllib.loads(p.read_text()) for p in sorted(BUILTIN_DIR.glob("*.toml"))}


@lru_cache(maxsize=1)
def builtin_profiles() -> dict[str, Profile]:
    """The built-in profiles by id (paygo/payroll/profiles/*.toml), validated like any other."""
    out = {}
    for path in sorted(BUILTIN_DIR.glob("*.toml")):
        profile = parse_profile(path.read_text(), f"built-in {path.name}", builtins={})
        out[profile.id] = profile
    return out


def canonical_profile() -> Profile:
    return builtin_profiles()[CANONICAL_ID]


def load_profile(path: Path) -> Profile:
    """A profile file, or a built-in named by its id (`paygo check --mapping adp-wc-report`)."""
    path = Path(path)
    if not path.exists() and str(path) in builtin_profiles():
        return builtin_profiles()[str(path)]
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ProfileError([ProfileProblem(str(path), None, "", f"cannot read: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError:
        raise ProfileError([ProfileProblem(str(path), None, "", "not UTF-8 text")]) from None
    return parse_profile(text, path.name)


def read_profiles_folder(folder: Path) -> tuple[list[tuple[Profile, str]], list[ProfileProblem]]:
    """Every `*.toml` of a reference folder's `mappings/`, with its text; problems of all of them."""
    profiles, problems = [], []
    for path in sorted(Path(folder).glob("*.toml")):
        try:
            text = path.read_bytes().decode("utf-8-sig")
            profiles.append((parse_profile(text, f"mappings/{path.name}"), text))
        except UnicodeDecodeError:
            problems.append(ProfileProblem(f"mappings/{path.name}", None, "", "not UTF-8 text"))
        except ProfileError as exc:
            problems.extend(exc.problems)
    return profiles, problems
