"""Return rates per originator over a rolling window, against the thresholds banks watch.

Rule (NACHA Operating Rules, Subsection 2.17.2 "Return Rate Levels"; domain.md): over the last 60
days, unauthorized returns (R05, R07, R10, R11, R29, R51) must stay under 0.5% of debit entries,
administrative returns (R02, R03, R04) under 3%, and all returns under 15%. We warn before the
line: a rate at or above WARN_FRACTION (80%) of its threshold is `warn`, at or above the
threshold `breach`, else `ok`. Entries are counted by effective date in (today - days, today];
a return counts against the entry it matched (applied returns only: duplicates and unmatched
exceptions are not ours to count). Our files carry one originator, the configured company id
(batch header 41-50), which ACH entries do not store, so the rates are reported under it.
Worked example: 1,000 debits, 4 R10, 20 R03, 30 R01 -> unauthorized 0.4% (warn, 0.4 >= 0.8 x 0.5),
administrative 2.0% (ok, < 2.4), overall 5.4% (ok).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paygo.ach.actions import ADMINISTRATIVE_CODES, UNAUTHORIZED_CODES
from paygo.db.models import AchEntry, AchReturn

THRESHOLDS = {"unauthorized": Decimal("0.005"), "administrative": Decimal("0.03"), "overall": Decimal("0.15")}
WARN_FRACTION = Decimal("0.8")


@dataclass(frozen=True)
class Rate:
    name: str
    returned: int
    debits: int
    threshold: Decimal

    @property
    def rate(self) -> Decimal:
        return Decimal(self.returned) / Decimal(self.debits) if self.debits else Decimal(0)

    @property
    def status(self) -> str:
        if self.rate >= self.threshold:
            return "breach"
        return "warn" if self.rate >= self.threshold * WARN_FRACTION else "ok"


@dataclass(frozen=True)
class OriginatorRates:
    company_id: str
    debits: int
    unauthorized: Rate
    administrative: Rate
    overall: Rate

    @property
    def status(self) -> str:
        order = ("ok", "warn", "breach")
        return max((self.unauthorized.status, self.administrative.status, self.overall.status), key=order.index)


@dataclass(frozen=True)
class ReturnRates:
    today: date
    days: int
    originators: tuple[OriginatorRates, ...]


def return_rates(session: Session, *, today: date, days: int = 60, company_id: str | None = None) -> ReturnRates:
    """Rates of the originator `company_id` (default: the configured bank company id)."""
    if company_id is None:
        from paygo.config import load_settings

        company_id = load_settings().bank.company_id
    since = today - timedelta(days=days)
    in_window = (AchEntry.effective_date > since, AchEntry.effective_date <= today,
                 AchEntry.transaction_code.in_((27, 37)))
    debits = session.scalar(select(func.count()).select_from(AchEntry).where(*in_window)) or 0
    by_code = dict(session.execute(
        select(AchReturn.code, func.count()).join(AchEntry, AchEntry.id == AchReturn.ach_entry_id)
        .where(AchReturn.kind == "return", AchReturn.status == "applied", *in_window)
        .group_by(AchReturn.code)).all())
    total = sum(by_code.values())
    unauthorized = sum(c for code, c in by_code.items() if code in UNAUTHORIZED_CODES)
    administrative = sum(c for code, c in by_code.items() if code in ADMINISTRATIVE_CODES)
    rates = OriginatorRates(
        company_id, debits,
        Rate("unauthorized", unauthorized, debits, THRESHOLDS["unauthorized"]),
        Rate("administrative", administrative, debits, THRESHOLDS["administrative"]),
        Rate("overall", total, debits, THRESHOLDS["overall"]),
    )
    return ReturnRates(today, days, (rates,))
