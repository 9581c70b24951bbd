"""Builders of small payroll files for tests: one good row, with cells overridden per case."""

from pathlib import Path

from paygo.payroll.policies import PolicyBook

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "payroll"
HEADER = ("employer_fein,policy_number,payroll_run_id,run_type,pay_date,period_start,period_end,"
          "employee_id,is_officer,state,class_code,regular_pay,overtime_pay,double_time_pay,overtime_premium")
GOOD = {
    "employer_fein": "12-3456789", "policy_number": "WC-1", "payroll_run_id": "R1", "run_type": "regular",
    "pay_date": "2024-03-15", "period_start": "2024-03-01", "period_end": "2024-03-14",
    "employee_id": "E1", "is_officer": "false", "state": "CA", "class_code": "8810",
    "regular_pay": "2200.00", "overtime_pay": "", "double_time_pay": "", "overtime_premium": "",
}


def book() -> PolicyBook:
    return PolicyBook.from_csv((FIXTURES / "policies.csv").read_bytes())


def record(**cells: str) -> str:
    row = {**GOOD, **cells}
    return ",".join(row[c] for c in HEADER.split(","))


def payroll(*records: str) -> bytes:
    return ("\n".join((HEADER, *records)) + "\n").encode()
