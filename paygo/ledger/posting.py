"""Double-entry postings: pure values and the builders for every money movement of the product.

Rule (double-entry bookkeeping; domain.md invariants 1, 2 and 7): every transaction has at least
two entries, each a non-zero amount in integer cents, and they sum to zero. Sign convention:
debit positive, credit negative, so an asset's balance is positive and a liability's or revenue's
is negative. Nothing is edited: a mistake is undone by `reversal` (every entry negated). The
chart of accounts is in docs/ledger.md. Worked example, invoice INV-7 of $27.15 premium plus a
$1.50 cycle fee for employer 123456789 insured by carrier `acme`:

    invoice_issued("INV-7", "123456789", "acme", premium_cents=2715, employer_fee_cents=150, on=...)
      Dr employer_receivable:123456789   2865
      Cr premium_unsettled:acme         -2715
      Cr fees_unsettled                  -150          sum = 0

The carrier's wallet is credited only by `premium_to_carrier`, after the debit settled; a late
return undoes that with `clawback`, explicitly.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

# Account code prefix -> kind. A code is `prefix` or `prefix:party` (an employer FEIN, a carrier id).
ACCOUNT_KINDS = {
    "cash_at_bank": "asset",  # settled money in our bank account
    "ach_in_transit": "asset",  # debits sent to the bank, not yet settled or returned
    "employer_receivable": "asset",  # per employer: invoiced, not yet collected
    "premium_unsettled": "liability",  # per carrier: premium invoiced, not yet settled
    "fees_unsettled": "liability",  # employer-paid (cycle-based) fees invoiced, not yet settled
    "carrier_wallet": "liability",  # per carrier: settled premium less fees, owed to the carrier
    "refunds_payable": "liability",  # per employer: money owed back
    "refunds_in_transit": "liability",  # refund credits sent to the bank, not yet settled
    "platform_fees": "revenue",  # our fees, earned on settlement
    "payer_credit": "liability",  # per payer (payroll company id or employer FEIN): remit money not yet applied
    "payouts_in_transit": "liability",  # carrier payout credits sent to the bank, not yet settled
}
PARTY_ACCOUNTS = {"employer_receivable", "premium_unsettled", "carrier_wallet", "refunds_payable", "payer_credit"}


class PostingError(ValueError):
    """A transaction that cannot be posted: unbalanced, a zero amount, an unknown account."""


def account_kind(code: str) -> str:
    prefix, sep, party = code.partition(":")
    if prefix not in ACCOUNT_KINDS:
        raise PostingError(f"unknown ledger account {code!r}")
    if (prefix in PARTY_ACCOUNTS) != bool(sep and party):
        raise PostingError(f"ledger account {code!r}: {prefix} {'needs' if prefix in PARTY_ACCOUNTS else 'takes no'} party")
    return ACCOUNT_KINDS[prefix]


@dataclass(frozen=True)
class Entry:
    account: str
    amount_cents: int  # debit positive, credit negative

    def __post_init__(self) -> None:
        if type(self.amount_cents) is not int:
            raise PostingError(f"{self.account}: amount must be integer cents, got {self.amount_cents!r}")
        if self.amount_cents == 0:
            raise PostingError(f"{self.account}: a ledger entry cannot be zero")
        account_kind(self.account)


@dataclass(frozen=True)
class Transaction:
    idempotency_key: str
    kind: str
    description: str
    entries: tuple[Entry, ...]
    effective_date: date
    reverses: str | None = None  # idempotency key of the transaction this one reverses
    content_sha256: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        if not self.idempotency_key:
            raise PostingError("a transaction needs an idempotency key")
        if len(self.entries) < 2:
            raise PostingError(f"{self.idempotency_key}: a transaction needs at least two entries")
        total = sum(e.amount_cents for e in self.entries)
        if total != 0:
            raise PostingError(f"{self.idempotency_key}: entries sum to {total} cents, not 0")
        object.__setattr__(self, "content_sha256", content_hash(self.kind, self.entries, self.effective_date, self.reverses))


def content_hash(kind: str, entries: Iterable[Entry], effective_date: date, reverses: str | None) -> str:
    """What makes two posts 'the same': kind, date, reversed key and the multiset of entries.

    The SHA-256 of the canonical text `json.dumps(body, sort_keys=True)` would give for
    body = {"kind", "effective_date" (ISO), "reverses" (key or null), "entries" (sorted [account,
    cents] pairs)}, written out directly (a json.dumps per transaction was 1.2 s of the 100,000-return
    benchmark); the text, and so every stored hash, is unchanged. Example:
    '{"effective_date": "2025-03-20", "entries": [["ach_in_transit", -100], ["employer_receivable:1",
    100]], "kind": "debit_returned", "reverses": null}'.
    """
    legs = ", ".join(f"[{_json_str(a)}, {c}]" for a, c in sorted((e.account, e.amount_cents) for e in entries))
    text = (f'{{"effective_date": "{effective_date.isoformat()}", "entries": [{legs}], '
            f'"kind": {_json_str(kind)}, "reverses": {"null" if reverses is None else _json_str(reverses)}}}')
    return hashlib.sha256(text.encode()).hexdigest()


_PLAIN = re.compile(r"[ !#-\[\]-~]*")  # printable ASCII but '"' and '\\': json.dumps writes it as is


def _json_str(text: str) -> str:
    """`json.dumps(text)`: quoted, escaped as json.dumps escapes (ASCII only)."""
    return f'"{text}"' if _PLAIN.fullmatch(text) else json.dumps(text)


def transaction(key: str, kind: str, description: str, on: date, *legs: tuple[str, int]) -> Transaction:
    """Build from (account, signed cents) legs, dropping zero legs (a zero fee posts nothing)."""
    return Transaction(key, kind, description, tuple(Entry(a, c) for a, c in legs if c != 0), on)


def _positive(name: str, cents: int) -> None:
    if type(cents) is not int or cents <= 0:
        raise PostingError(f"{name} must be positive integer cents, got {cents!r}")


def invoice_issued(invoice_number: str, employer_fein: str, carrier_id: str, premium_cents: int,
                   employer_fee_cents: int, on: date) -> Transaction:
    """Dr employer receivable (premium + fee) / Cr premium unsettled (carrier), Cr fees unsettled."""
    _positive("premium_cents + employer_fee_cents", premium_cents + employer_fee_cents)
    return transaction(
        f"invoice_issued:{invoice_number}", "invoice_issued", f"invoice {invoice_number} issued", on,
        (f"employer_receivable:{employer_fein}", premium_cents + employer_fee_cents),
        (f"premium_unsettled:{carrier_id}", -premium_cents),
        ("fees_unsettled", -employer_fee_cents),
    )


def debit_sent(invoice_number: str, presentment: int, employer_fein: str, amount_cents: int,
               on: date) -> Transaction:
    """Dr ACH in transit / Cr employer receivable: the debit is on its way."""
    _positive("amount_cents", amount_cents)
    return transaction(
        f"debit_sent:{invoice_number}:{presentment}", "debit_sent",
        f"ACH debit for {invoice_number}, presentment {presentment}", on,
        ("ach_in_transit", amount_cents), (f"employer_receivable:{employer_fein}", -amount_cents),
    )


def debit_returned(invoice_number: str, presentment: int, employer_fein: str, amount_cents: int,
                   return_code: str, on: date) -> Transaction:
    """Dr employer receivable / Cr ACH in transit: the employer owes the money again."""
    _positive("amount_cents", amount_cents)
    return transaction(
        f"debit_returned:{invoice_number}:{presentment}", "debit_returned",
        f"ACH debit for {invoice_number}, presentment {presentment}, returned {return_code}", on,
        (f"employer_receivable:{employer_fein}", amount_cents), ("ach_in_transit", -amount_cents),
    )


def debit_settled(invoice_number: str, presentment: int, amount_cents: int, on: date) -> Transaction:
    """Dr cash at bank / Cr ACH in transit: the return window passed, the money is ours to pass on."""
    _positive("amount_cents", amount_cents)
    return transaction(
        f"debit_settled:{invoice_number}:{presentment}", "debit_settled",
        f"ACH debit for {invoice_number}, presentment {presentment}, settled", on,
        ("cash_at_bank", amount_cents), ("ach_in_transit", -amount_cents),
    )


def premium_to_carrier(invoice_number: str, carrier_id: str, premium_cents: int, carrier_fee_cents: int,
                       employer_fee_cents: int, on: date) -> Transaction:
    """Settled premium to the carrier's wallet less the carrier-paid fee; both fees become revenue.

    Dr premium unsettled P, Dr fees unsettled F_e / Cr carrier wallet P - F_c, Cr platform fees F_c + F_e.
    """
    _positive("premium_cents + employer_fee_cents", premium_cents + employer_fee_cents)  # a fee-only invoice too
    if premium_cents < 0 or not 0 <= carrier_fee_cents <= premium_cents or employer_fee_cents < 0:
        raise PostingError(f"fees must be 0..premium cents, got {carrier_fee_cents} and {employer_fee_cents}")
    return transaction(
        f"premium_to_carrier:{invoice_number}", "premium_to_carrier",
        f"settled premium of {invoice_number} to carrier {carrier_id}", on,
        (f"premium_unsettled:{carrier_id}", premium_cents),
        ("fees_unsettled", employer_fee_cents),
        (f"carrier_wallet:{carrier_id}", -(premium_cents - carrier_fee_cents)),
        ("platform_fees", -(carrier_fee_cents + employer_fee_cents)),
    )


def carrier_fee(key: str, carrier_id: str, fee_cents: int, reason: str, on: date) -> Transaction:
    """A fee the carrier pays outside settlement (flat monthly fee, setup fee): Dr wallet / Cr fees."""
    _positive("fee_cents", fee_cents)
    return transaction(
        f"carrier_fee:{key}", "carrier_fee", f"{reason} charged to carrier {carrier_id}", on,
        (f"carrier_wallet:{carrier_id}", fee_cents), ("platform_fees", -fee_cents),
    )


def carrier_payout(key: str, carrier_id: str, amount_cents: int, on: date) -> Transaction:
    """A payout credit to the carrier, confirmed by the bank: Dr carrier wallet / Cr payouts in transit.
    Key `carrier_payout:<carrier>:<payout date>` (paygo.payouts): one per carrier per payout day."""
    _positive("amount_cents", amount_cents)
    return transaction(
        f"carrier_payout:{key}", "carrier_payout", f"payout to carrier {carrier_id}", on,
        (f"carrier_wallet:{carrier_id}", amount_cents), ("payouts_in_transit", -amount_cents),
    )


def payout_settled(key: str, carrier_id: str, amount_cents: int, on: date) -> Transaction:
    """The payout credit settled: Dr payouts in transit / Cr cash at bank (the money left our bank)."""
    _positive("amount_cents", amount_cents)
    return transaction(
        f"payout_settled:{key}", "payout_settled", f"payout to carrier {carrier_id} settled", on,
        ("payouts_in_transit", amount_cents), ("cash_at_bank", -amount_cents),
    )


def payout_returned(key: str, carrier_id: str, amount_cents: int, return_code: str, on: date, *,
                    settled: bool) -> Transaction:
    """The carrier's bank returned the payout credit: the wallet holds the money again.
    Dr payouts in transit (Dr cash at bank once it had settled) / Cr carrier wallet."""
    _positive("amount_cents", amount_cents)
    return transaction(
        f"payout_returned:{key}", "payout_returned", f"payout to carrier {carrier_id} returned {return_code}", on,
        ("cash_at_bank" if settled else "payouts_in_transit", amount_cents),
        (f"carrier_wallet:{carrier_id}", -amount_cents),
    )


def payment_received(payment_number: str, payer_id: str, amount_cents: int, on: date) -> Transaction:
    """A remit payment (check, wire, ACH credit) reached our bank: Dr cash at bank / Cr payer credit.
    What it pays is applied invoice by invoice (`payment_applied`); the rest stays the payer's credit."""
    _positive("amount_cents", amount_cents)
    return transaction(
        f"payment_received:{payment_number}", "payment_received", f"payment {payment_number} from {payer_id}", on,
        ("cash_at_bank", amount_cents), (f"payer_credit:{payer_id}", -amount_cents),
    )


def payment_applied(payment_number: str, invoice_number: str, payer_id: str, employer_fein: str,
                    carrier_id: str, premium_cents: int, employer_fee_cents: int, carrier_fee_cents: int,
                    on: date) -> Transaction:
    """Part of a payment pays part of an invoice, and the premium it covers reaches the carrier as a
    settled debit's does (remit money is received money):
      Dr payer credit A / Cr employer receivable A (A = P + F), and
      Dr premium unsettled P, Dr fees unsettled F / Cr carrier wallet P - Fc, Cr platform fees Fc + F.
    P, F and Fc are this application's shares (paygo.payments.allocate: cumulative, so the
    applications of an invoice paid in full add up to exactly its premium, fee and carrier fee)."""
    amount = premium_cents + employer_fee_cents
    _positive("premium_cents + employer_fee_cents", amount)
    if premium_cents < 0 or employer_fee_cents < 0 or not 0 <= carrier_fee_cents <= max(premium_cents, 0):
        raise PostingError(f"shares must be non-negative and the carrier fee at most the premium, got "
                           f"{premium_cents}, {employer_fee_cents}, {carrier_fee_cents}")
    return transaction(
        f"payment_applied:{payment_number}:{invoice_number}", "payment_applied",
        f"payment {payment_number} applied to {invoice_number}", on,
        (f"payer_credit:{payer_id}", amount),
        (f"employer_receivable:{employer_fein}", -amount),
        (f"premium_unsettled:{carrier_id}", premium_cents),
        ("fees_unsettled", employer_fee_cents),
        (f"carrier_wallet:{carrier_id}", -(premium_cents - carrier_fee_cents)),
        ("platform_fees", -(carrier_fee_cents + employer_fee_cents)),
    )


def bad_debt(invoice_number: str, employer_fein: str, carrier_id: str, premium_cents: int,
             employer_fee_cents: int, on: date) -> Transaction:
    """An invoice written off: what is still owed on it leaves the receivable, and the premium and fee
    it would have paid are released (the carrier's wallet only ever receives money that came in, so
    nobody is paid for it). The mirror of the open part of `invoice_issued`:
      Dr premium unsettled P, Dr fees unsettled F / Cr employer receivable P + F.
    Key `bad_debt:<inv>`; `paygo report` totals written-off debt from these transactions."""
    _positive("premium_cents + employer_fee_cents", premium_cents + employer_fee_cents)
    return transaction(
        f"bad_debt:{invoice_number}", "bad_debt", f"{invoice_number} written off", on,
        (f"premium_unsettled:{carrier_id}", premium_cents),
        ("fees_unsettled", employer_fee_cents),
        (f"employer_receivable:{employer_fein}", -(premium_cents + employer_fee_cents)),
    )


def invoice_credited(invoice_number: str, employer_fein: str, carrier_id: str, premium_cents: int,
                     employer_fee_cents: int, on: date) -> Transaction:
    """A credit (a downward adjustment) lowers what the employer owes, at once: the mirror of
    `invoice_issued`. Dr premium unsettled (carrier) P, Dr fees unsettled F / Cr employer receivable P + F.
    Whether money goes back is decided later, from what settled (`refund_payable`)."""
    _positive("premium_cents + employer_fee_cents", premium_cents + employer_fee_cents)
    return transaction(
        f"invoice_credited:{invoice_number}", "invoice_credited", f"credit {invoice_number} issued", on,
        (f"premium_unsettled:{carrier_id}", premium_cents),
        ("fees_unsettled", employer_fee_cents),
        (f"employer_receivable:{employer_fein}", -(premium_cents + employer_fee_cents)),
    )


def refund_payable_key(invoice_number: str, attempt: int = 1) -> str:
    """`refund_payable:<inv>`, then `refund_payable:<inv>:<attempt>` after a withdrawn approval."""
    return f"refund_payable:{invoice_number}" + ("" if attempt == 1 else f":{attempt}")


def refund_payable(invoice_number: str, employer_fein: str, carrier_id: str, amount_cents: int,
                   fee_back_cents: int, on: date, attempt: int = 1) -> Transaction:
    """A credit becomes a refund once the money it gives back has settled (paygo.invoicing.credits).

    The settled premium reached the carrier's wallet in full (`premium_to_carrier`), so the wallet
    gives back the credited premium less the percentage fee the platform kept on it, which the
    platform gives back; the employer's overpayment becomes a refund owed:
      Dr employer receivable A, Dr carrier wallet A - fee, Dr platform fees fee /
      Cr premium unsettled A, Cr refunds payable A.
    Key `refund_payable:<inv>`, or `refund_payable:<inv>:<attempt>` when an earlier approval was
    withdrawn (reversed) because the debit it relied on came back before the refund left.
    """
    _positive("amount_cents", amount_cents)
    if not 0 <= fee_back_cents <= amount_cents:
        raise PostingError(f"fee given back must be 0..{amount_cents} cents, got {fee_back_cents}")
    return transaction(
        refund_payable_key(invoice_number, attempt), "refund_payable",
        f"refund due on {invoice_number}", on,
        (f"employer_receivable:{employer_fein}", amount_cents),
        (f"carrier_wallet:{carrier_id}", amount_cents - fee_back_cents),
        ("platform_fees", fee_back_cents),
        (f"premium_unsettled:{carrier_id}", -amount_cents),
        (f"refunds_payable:{employer_fein}", -amount_cents),
    )


def refund_sent(invoice_number: str, presentment: int, employer_fein: str, amount_cents: int,
                on: date) -> Transaction:
    """The refund credit (tc 22/32) confirmed by the bank: Dr refunds payable / Cr refunds in transit.

    The employer is owed nothing more; the money leaves our bank when the credit settles.
    """
    _positive("amount_cents", amount_cents)
    return transaction(
        f"refund_sent:{invoice_number}:{presentment}", "refund_sent",
        f"ACH refund credit for {invoice_number}, presentment {presentment}", on,
        (f"refunds_payable:{employer_fein}", amount_cents), ("refunds_in_transit", -amount_cents),
    )


def refund_settled(invoice_number: str, presentment: int, amount_cents: int, on: date) -> Transaction:
    """The refund credit settled: Dr refunds in transit / Cr cash at bank (the money left our bank)."""
    _positive("amount_cents", amount_cents)
    return transaction(
        f"refund_settled:{invoice_number}:{presentment}", "refund_settled",
        f"ACH refund credit for {invoice_number}, presentment {presentment}, settled", on,
        ("refunds_in_transit", amount_cents), ("cash_at_bank", -amount_cents),
    )


def refund_returned(invoice_number: str, presentment: int, employer_fein: str, amount_cents: int,
                    return_code: str, on: date, *, settled: bool) -> Transaction:
    """A refund credit returned by the employer's bank: the employer is owed the refund again.

    Before settlement: Dr refunds in transit / Cr refunds payable (undoes `refund_sent`); after it:
    Dr cash at bank / Cr refunds payable (the money came back to our bank).
    """
    _positive("amount_cents", amount_cents)
    debit = "cash_at_bank" if settled else "refunds_in_transit"
    return transaction(
        f"refund_returned:{invoice_number}:{presentment}", "refund_returned",
        f"ACH refund credit for {invoice_number}, presentment {presentment}, returned {return_code}", on,
        (debit, amount_cents), (f"refunds_payable:{employer_fein}", -amount_cents),
    )


def refund_paid(key: str, employer_fein: str, amount_cents: int, on: date) -> Transaction:
    """A refund paid outside ACH (cheque, wire): Dr refunds payable / Cr cash at bank."""
    _positive("amount_cents", amount_cents)
    return transaction(
        f"refund_paid:{key}", "refund_paid", f"refund paid to {employer_fein}", on,
        (f"refunds_payable:{employer_fein}", amount_cents), ("cash_at_bank", -amount_cents),
    )


def negate(entries: Iterable[Entry]) -> tuple[Entry, ...]:
    return tuple(Entry(e.account, -e.amount_cents) for e in entries)


def reversal(original: Transaction, on: date, reason: str = "reversal") -> Transaction:
    """Every entry of `original` negated; its key is `reverse:<original key>`."""
    return Transaction(
        f"reverse:{original.idempotency_key}", "reversal", f"{reason}: {original.description}",
        negate(original.entries), on, reverses=original.idempotency_key,
    )


def clawback(invoice_number: str, presentment: int, settled: Sequence[Transaction], return_code: str,
             on: date) -> Transaction:
    """A return after settlement: undo the settlement and the wallet credit in one transaction.

    `settled` are the transactions to undo (`debit_settled`, `premium_to_carrier`); their entries
    are negated and merged per account, which leaves the debit back in transit, to be handled
    as any return (`debit_returned`).
    """
    merged: dict[str, int] = {}
    for txn in settled:
        for e in txn.entries:
            merged[e.account] = merged.get(e.account, 0) - e.amount_cents
    return transaction(
        f"clawback:{invoice_number}:{presentment}", "clawback",
        f"late return {return_code} of {invoice_number}: settlement and carrier credit clawed back", on,
        *sorted(merged.items()),
    )
