"""Shared by the mapping tests: the sample layouts, their profiles, the roster and the policies."""

from pathlib import Path

from paygo.payroll.policies import PolicyBook
from paygo.payroll.profile import load_profile
from paygo.payroll.roster import read_roster_csv

SAMPLES = Path(__file__).resolve().parents[2] / "paygo" / "sample_data"
LAYOUTS = SAMPLES / "layouts"
# (employer's profile, sample file in the company's layout, the same payroll in canonical form)
CASES = [
    ("bay-area-bakery-gusto", "gusto_payroll_journal.csv", "gusto_payroll_journal.canonical.csv"),
    ("keystone-adp-wc", "adp_wc_report.xlsx", "adp_wc_report.canonical.csv"),
    ("hoosier-adp-pay-data", "adp_pay_data.csv", "adp_pay_data.canonical.csv"),
    ("silver-state-paychex", "paychex_pay_data.csv", "paychex_pay_data.canonical.csv"),
]


def sample_book() -> PolicyBook:
    return PolicyBook.from_csv((SAMPLES / "reference" / "policies.csv").read_bytes())


def sample_roster():
    return read_roster_csv((LAYOUTS / "roster.csv").read_bytes())


def employer_profile(name: str):
    return load_profile(LAYOUTS / "mappings" / f"{name}.toml")
