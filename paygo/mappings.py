"""Mapping profiles and rosters in the database: loading them, and choosing them for a file.

Rules (docs/payroll-mappings.md): the reference folder's `mappings/*.toml` are the payroll
companies' profiles (each names its `company`, optionally its `employer_fein`), and its
`roster.csv` the employees' assignments; both are validated with the rest of the folder and
loaded in its transaction. A profile is stored once per version; a roster replaces an employer's
whole roster as version n+1 when its assignments differ from the latest version (the same file
twice changes nothing). A suggested profile (`confirmed = false`) is refused: nothing is billed
from a mapping no person has confirmed.

Choosing the profile of a file (`profile_for`): among the company's profiles (latest version of
each id), those whose `file.names` globs match the file name, else those with no globs; an
employer's profile before the company's. None matching: the canonical format. Example:
acme-payroll with `silver-state-paychex` (names `*paychex*.csv`) reads `paychex_0606.csv`
through it and `acme_2025-06-06.csv` as canonical.
"""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paygo.db import models as m
from paygo.payroll.policies import PolicyBook
from paygo.payroll.profile import Profile, ProfileError, canonical_profile, parse_profile, read_profiles_folder
from paygo.payroll.roster import SCHEMA, RosterError, read_roster_csv, roster_label, roster_sha256
from paygo.payroll.validate import PayrollError, PayrollValidation, validate_mapped_file

ROSTER_FILE = "roster.csv"
MAPPINGS_DIR = "mappings"


@dataclass(frozen=True)
class MappingReference:
    """The folder's profiles (with their TOML text) and roster, validated."""

    profiles: tuple[tuple[Profile, str], ...] = ()
    roster: pl.DataFrame | None = None


def read_mapping_reference(folder: Path, companies: set[str], employers: set[str]):
    """(MappingReference, problems as (file, row or line, reason)); `companies` and `employers` are
    the keys the folder and the database know."""
    problems: list[tuple[str, int | None, str]] = []
    profiles, found = read_profiles_folder(Path(folder) / MAPPINGS_DIR)
    problems += [(p.source, p.line, f"{p.key}: {p.reason}" if p.key else p.reason) for p in found]
    seen: dict[str, str] = {}
    for profile, _ in profiles:
        where = profile.source
        if not profile.confirmed:
            problems.append((where, None, "confirmed = false: a suggested profile must be checked by a person and "
                                          "set confirmed = true before it is loaded"))
        if profile.company is None:
            problems.append((where, None, "company: a loaded profile must name its payroll company"))
        elif profile.company not in companies:
            problems.append((where, None, f"company: unknown payroll company {profile.company!r}"))
        if profile.employer_fein is not None and profile.employer_fein not in employers:
            problems.append((where, None, f"employer_fein: unknown employer {profile.employer_fein}"))
        if profile.id in seen:
            problems.append((where, None, f"id: {profile.id!r} is also the id of {seen[profile.id]}"))
        seen[profile.id] = where
    roster = None
    path = Path(folder) / ROSTER_FILE
    if path.exists():
        try:
            roster = read_roster_csv(path.read_bytes(), ROSTER_FILE)
        except RosterError as exc:
            problems += [(p.file, p.row, p.reason) for p in exc.problems]
        else:
            for fein in sorted(set(roster["employer_fein"].to_list()) - employers):
                problems.append((ROSTER_FILE, None, f"unknown employer {fein}"))
    return MappingReference(tuple(profiles), roster), problems


def load_mapping_reference(session: Session, ref: MappingReference, count) -> None:
    """Upsert the profiles (a new version adds a row) and the rosters; `count(kind, what)` reports."""
    for profile, text in ref.profiles:
        exists = session.scalar(select(m.MappingProfile.id).where(
            m.MappingProfile.profile_id == profile.id, m.MappingProfile.version == profile.version))
        if exists is None:
            session.add(m.MappingProfile(profile_id=profile.id, version=profile.version,
                                         payroll_company_id=profile.company, employer_fein=profile.employer_fein,
                                         body=text))
            count("mapping profiles", "created")
    session.flush()
    if ref.roster is not None:
        for fein, version in load_roster(session, ref.roster, "reference").items():
            count("rosters", "created" if version == 1 else "updated")


def load_roster(session: Session, assignments: pl.DataFrame, source: str) -> dict[str, int]:
    """A new roster version for each employer whose assignments differ from its latest version;
    returns {fein: new version} for those (the same roster twice returns {})."""
    changed = {}
    for (fein,), rows in sorted(assignments.partition_by("employer_fein", as_dict=True).items()):
        employer = session.scalar(select(m.Employer).where(m.Employer.fein == fein))
        sha = roster_sha256(rows)
        latest = session.scalar(select(m.RosterVersion).where(m.RosterVersion.employer_id == employer.id)
                                .order_by(m.RosterVersion.version.desc()).limit(1))
        if latest is not None and latest.sha256 == sha:
            continue
        version = m.RosterVersion(employer_id=employer.id, version=(latest.version + 1) if latest else 1, sha256=sha,
                                  source=source[:500])
        session.add(version)
        session.flush()
        session.add_all(m.RosterAssignment(roster_version_id=version.id, employee_id=r["employee_id"],
                                           effective_date=r["effective_date"], state=r["state"],
                                           class_code=r["class_code"], is_officer=r["is_officer"] == "true")
                        for r in rows.iter_rows(named=True))
        changed[fein] = version.version
    session.flush()
    return changed


def company_rosters(session: Session, company_id: str) -> tuple[pl.DataFrame | None, str | None]:
    """The latest roster of every client employer of the company, and its label for the file record;
    (None, None) when none of them has a roster."""
    latest = (select(m.RosterVersion.employer_id, func.max(m.RosterVersion.version).label("v"))
              .group_by(m.RosterVersion.employer_id).subquery())
    versions = session.execute(
        select(m.RosterVersion.id, m.Employer.fein, m.RosterVersion.version)
        .join(latest, (latest.c.employer_id == m.RosterVersion.employer_id) & (latest.c.v == m.RosterVersion.version))
        .join(m.Employer, m.Employer.id == m.RosterVersion.employer_id)
        .where(m.Employer.payroll_company_id == company_id)).all()
    if not versions:
        return None, None
    rows = session.execute(
        select(m.Employer.fein, m.RosterAssignment.employee_id, m.RosterAssignment.effective_date,
               m.RosterAssignment.state, m.RosterAssignment.class_code, m.RosterAssignment.is_officer)
        .join(m.RosterVersion, m.RosterVersion.id == m.RosterAssignment.roster_version_id)
        .join(m.Employer, m.Employer.id == m.RosterVersion.employer_id)
        .where(m.RosterVersion.id.in_([v[0] for v in versions]))).all()
    frame = pl.DataFrame([(f, e, d, s, c, "true" if o else "false") for f, e, d, s, c, o in rows], schema=SCHEMA,
                         orient="row").sort("employer_fein", "employee_id", "effective_date")
    return frame, roster_label({fein: version for _, fein, version in versions})


def company_profiles(session: Session, company_id: str) -> list[Profile]:
    """The latest loaded version of each of the company's profiles."""
    latest = (select(m.MappingProfile.profile_id, func.max(m.MappingProfile.id).label("id"))
              .where(m.MappingProfile.payroll_company_id == company_id).group_by(m.MappingProfile.profile_id)
              .subquery())
    rows = session.scalars(select(m.MappingProfile).join(latest, latest.c.id == m.MappingProfile.id)
                           .order_by(m.MappingProfile.profile_id)).all()
    return [parse_profile(r.body, f"{MAPPINGS_DIR}/{r.profile_id}") for r in rows]


def choose_profile(profiles: list[Profile], file_name: str) -> Profile | list[Profile]:
    """The profile for a file name (module docstring); a list when two match equally (ambiguous)."""
    name = Path(file_name).name.lower()
    named = [p for p in profiles if p.names and any(fnmatch.fnmatch(name, g.lower()) for g in p.names)]
    candidates = named or [p for p in profiles if not p.names]
    if not candidates:
        return canonical_profile()
    best = [p for p in candidates if p.employer_fein] or candidates
    return best[0] if len(best) == 1 else best


def validate_for_company(session: Session, data: bytes, book: PolicyBook, *, company_id: str, original_name: str,
                         client_feins: frozenset[str]) -> PayrollValidation:
    """The file validated through the company's profile for its name, with the company's rosters."""
    def refused(reason: str) -> PayrollValidation:
        return PayrollValidation(hashlib.sha256(data).hexdigest(), 0, (PayrollError(None, None, None, reason),), None)

    try:
        chosen = choose_profile(company_profiles(session, company_id), original_name)
    except ProfileError as exc:  # a stored profile that no longer loads: say so, bill nothing
        return refused(f"mapping profile: {exc}")
    if isinstance(chosen, list):
        ids = ", ".join(p.id for p in chosen)
        return refused(f"the file name {original_name!r} matches several mapping profiles ({ids}): give each a "
                       "distinct file.names pattern")
    if not chosen.confirmed:
        return refused(f"mapping profile {chosen.id!r} is not confirmed: nothing is billed from it")
    if chosen.is_canonical:
        return validate_mapped_file(data, chosen, book, client_feins=client_feins)
    roster, label = company_rosters(session, company_id)
    return validate_mapped_file(data, chosen, book, client_feins=client_feins, roster=roster, roster_versions=label,
                                file_name=original_name)


def is_roster_file(name: str) -> bool:
    """A roster file on a payroll company's SFTP home: `roster*.csv` (any case) in its inbox."""
    return fnmatch.fnmatch(Path(name).name.lower(), "roster*.csv")


def apply_roster_file(session: Session, data: bytes, *, company_id: str, original_name: str
                      ) -> tuple[dict[str, int], tuple[PayrollError, ...]]:
    """Load a roster uploaded by a payroll company: ({fein: new version}, ()) or ({}, errors), each
    error with its row. Only the company's own client employers may be named."""
    try:
        roster = read_roster_csv(data, original_name)
    except RosterError as exc:
        return {}, tuple(PayrollError(p.row, None, None, p.reason) for p in exc.problems)
    clients = set(session.scalars(select(m.Employer.fein).where(m.Employer.payroll_company_id == company_id)))
    foreign = sorted(set(roster["employer_fein"].to_list()) - clients)
    if foreign:
        return {}, tuple(PayrollError(None, "employer_fein", f, f"employer {f} is not a client of {company_id}")
                         for f in foreign)
    return load_roster(session, roster, f"sftp:{company_id}/{original_name}"), ()
