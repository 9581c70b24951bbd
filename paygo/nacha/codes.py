"""NACHA codes as named constants: transaction codes, service classes, SEC codes, return and change codes.

Rule (NACHA Operating Rules, Appendix Three and Four; domain.md "ACH facts"): an employer premium
debit is SEC CCD, transaction code 27 (checking) or 37 (savings); refunds are credits 22/32. The
last digit of a transaction code says its direction: 1-4 credit, 5-9 debit (26 = the automated
return of a checking debit). Every return (addenda 99) carries an R code; each code maps to what
we do next, e.g. R01 "Insufficient Funds" -> RETRY (at most twice, same amount, `RETRY PYMT`),
R03 "No Account" -> NEW_BANK_DETAILS, R07 "Authorization Revoked" -> NEW_AUTHORIZATION.
Codes R86-R99 are not NACHA codes; some banks use them privately: with the bank's tolerance
`custom_return_codes` we parse them and route them to an exception queue (`is_private_return_code`);
any other unknown code (R48, C92) is invalid.
"""

from enum import StrEnum

# --- Transaction codes (Entry Detail positions 2-3)
CHECKING_RETURN_CREDIT = 21  # automated return or NOC of a checking credit
CHECKING_CREDIT = 22
CHECKING_CREDIT_PRENOTE = 23
CHECKING_CREDIT_ZERO = 24  # zero dollar with remittance data
CHECKING_RETURN_DEBIT = 26  # automated return or NOC of a checking debit
CHECKING_DEBIT = 27
CHECKING_DEBIT_PRENOTE = 28
CHECKING_DEBIT_ZERO = 29
SAVINGS_RETURN_CREDIT = 31
SAVINGS_CREDIT = 32
SAVINGS_CREDIT_PRENOTE = 33
SAVINGS_CREDIT_ZERO = 34
SAVINGS_RETURN_DEBIT = 36
SAVINGS_DEBIT = 37
SAVINGS_DEBIT_PRENOTE = 38
SAVINGS_DEBIT_ZERO = 39
GL_RETURN_CREDIT = 41
GL_CREDIT = 42
GL_CREDIT_PRENOTE = 43
GL_CREDIT_ZERO = 44
GL_RETURN_DEBIT = 46
GL_DEBIT = 47
GL_DEBIT_PRENOTE = 48
GL_DEBIT_ZERO = 49
LOAN_RETURN_CREDIT = 51
LOAN_CREDIT = 52
LOAN_CREDIT_PRENOTE = 53
LOAN_CREDIT_ZERO = 54
LOAN_DEBIT = 55  # reversals only
LOAN_RETURN_DEBIT = 56

TRANSACTION_CODES = frozenset(
    {21, 22, 23, 24, 26, 27, 28, 29, 31, 32, 33, 34, 36, 37, 38, 39,
     41, 42, 43, 44, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56}
)
PRENOTE_CODES = frozenset({23, 28, 33, 38, 43, 48, 53})
ZERO_DOLLAR_CODES = frozenset({24, 29, 34, 39, 44, 49, 54})


def is_debit(transaction_code: int) -> bool:
    """Debit when the last digit is 5-9 (27, 37, 26), credit when 1-4 (22, 32, 21)."""
    return transaction_code % 10 >= 5


# --- Service class codes (Batch Header / Control positions 2-4)
MIXED = 200
CREDITS_ONLY = 220
DEBITS_ONLY = 225
SERVICE_CLASS_CODES = frozenset({MIXED, CREDITS_ONLY, DEBITS_ONLY})

# --- Standard Entry Class codes (Batch Header positions 51-53)
CCD, PPD, CTX, WEB, TEL, COR, POS = "CCD", "PPD", "CTX", "WEB", "TEL", "COR", "POS"
ENR = "ENR"
# SEC codes whose records have other layouts or addenda we do not read (IAT batch headers and addenda
# 10-18, ADV entries, addenda 02 of POS/SHR/MTE): reported as "unsupported SEC code", never field by field.
UNSUPPORTED_SEC_CODES = frozenset({"IAT", "ADV"})
ADDENDA02_SEC_CODES = frozenset({"POS", "SHR", "MTE"})
SEC_CODES = frozenset(
    {"ACK", "ADV", "ARC", "ATX", "BOC", "CCD", "CIE", "COR", "CTX", "DNE", "ENR", "IAT",
     "MTE", "POP", "POS", "PPD", "RCK", "SHR", "TEL", "TRC", "TRX", "WEB", "XCK"}
)


class ReturnAction(StrEnum):
    """What paygo does with a returned premium debit (domain.md, "ACH facts")."""

    RETRY = "retry"  # R01, R09: re-present at most twice, same amount, RETRY PYMT
    NEW_BANK_DETAILS = "new_bank_details"  # fail now, ask the employer for new bank details
    NEW_AUTHORIZATION = "new_authorization"  # stop: a new authorization is needed
    REAUTHORIZE_STOP_PAYMENT = "reauthorize_stop_payment"  # R08: only after re-authorization
    CORRECT_AND_RESEND = "correct_and_resend"  # our data was wrong: fix it, then re-send
    EXCEPTION = "exception"  # a person looks at it (deaths, OFAC, dishonored/contested, unknown)


_A = ReturnAction
# code -> (meaning, action)
RETURN_CODES: dict[str, tuple[str, ReturnAction]] = {
    "R01": ("Insufficient Funds", _A.RETRY),
    "R02": ("Account Closed", _A.NEW_BANK_DETAILS),
    "R03": ("No Account/Unable to Locate Account", _A.NEW_BANK_DETAILS),
    "R04": ("Invalid Account Number Structure", _A.NEW_BANK_DETAILS),
    "R05": ("Unauthorized Debit to Consumer Account Using Corporate SEC Code", _A.NEW_AUTHORIZATION),
    "R06": ("Returned per ODFI's Request", _A.EXCEPTION),
    "R07": ("Authorization Revoked by Customer", _A.NEW_AUTHORIZATION),
    "R08": ("Payment Stopped", _A.REAUTHORIZE_STOP_PAYMENT),
    "R09": ("Uncollected Funds", _A.RETRY),
    "R10": ("Customer Advises Unauthorized, Improper, Ineligible, or Part of an Incomplete Transaction", _A.NEW_AUTHORIZATION),
    "R11": ("Customer Advises Entry Not in Accordance with the Terms of the Authorization", _A.CORRECT_AND_RESEND),
    "R12": ("Account Sold to Another DFI", _A.NEW_BANK_DETAILS),
    "R13": ("Invalid ACH Routing Number", _A.NEW_BANK_DETAILS),
    "R14": ("Representative Payee Deceased or Unable to Continue in That Capacity", _A.EXCEPTION),
    "R15": ("Beneficiary or Account Holder Deceased", _A.EXCEPTION),
    "R16": ("Account Frozen/Entry Returned per OFAC Instruction", _A.EXCEPTION),
    "R17": ("File Record Edit Criteria / Questionable Circumstances", _A.CORRECT_AND_RESEND),
    "R18": ("Improper Effective Entry Date", _A.CORRECT_AND_RESEND),
    "R19": ("Amount Field Error", _A.CORRECT_AND_RESEND),
    "R20": ("Non-Transaction Account", _A.NEW_BANK_DETAILS),
    "R21": ("Invalid Company Identification", _A.CORRECT_AND_RESEND),
    "R22": ("Invalid Individual ID Number", _A.CORRECT_AND_RESEND),
    "R23": ("Credit Entry Refused by Receiver", _A.CORRECT_AND_RESEND),
    "R24": ("Duplicate Entry", _A.CORRECT_AND_RESEND),
    "R25": ("Addenda Error", _A.CORRECT_AND_RESEND),
    "R26": ("Mandatory Field Error", _A.CORRECT_AND_RESEND),
    "R27": ("Trace Number Error", _A.CORRECT_AND_RESEND),
    "R28": ("Routing Number Check Digit Error", _A.CORRECT_AND_RESEND),
    "R29": ("Corporate Customer Advises Not Authorized", _A.NEW_AUTHORIZATION),
    "R30": ("RDFI Not Participant in Check Truncation Program", _A.EXCEPTION),
    "R31": ("Permissible Return Entry (CCD and CTX only)", _A.EXCEPTION),
    "R32": ("RDFI Non-Settlement", _A.EXCEPTION),
    "R33": ("Return of XCK Entry", _A.EXCEPTION),
    "R34": ("Limited Participation DFI", _A.EXCEPTION),
    "R35": ("Return of Improper Debit Entry", _A.EXCEPTION),
    "R36": ("Return of Improper Credit Entry", _A.EXCEPTION),
    "R37": ("Source Document Presented for Payment", _A.EXCEPTION),
    "R38": ("Stop Payment on Source Document", _A.EXCEPTION),
    "R39": ("Improper Source Document/Source Document Presented for Payment", _A.EXCEPTION),
    "R40": ("Return of ENR Entry by Federal Government Agency", _A.EXCEPTION),
    "R41": ("Invalid Transaction Code", _A.EXCEPTION),
    "R42": ("Routing Number/Check Digit Error", _A.EXCEPTION),
    "R43": ("Invalid DFI Account Number", _A.EXCEPTION),
    "R44": ("Invalid Individual ID Number/Identification Number", _A.EXCEPTION),
    "R45": ("Invalid Individual Name/Company Name", _A.EXCEPTION),
    "R46": ("Invalid Representative Payee Indicator", _A.EXCEPTION),
    "R47": ("Duplicate Enrollment", _A.EXCEPTION),
    "R50": ("State Law Affecting RCK Acceptance", _A.EXCEPTION),
    "R51": ("Item Related to RCK Entry is Ineligible or RCK Entry is Improper", _A.EXCEPTION),
    "R52": ("Stop Payment on Item Related to RCK Entry", _A.EXCEPTION),
    "R53": ("Item and RCK Entry Presented for Payment", _A.EXCEPTION),
    "R61": ("Misrouted Return", _A.EXCEPTION),
    "R62": ("Return of Erroneous or Reversing Debit", _A.EXCEPTION),
    "R67": ("Duplicate Return", _A.EXCEPTION),
    "R68": ("Untimely Return", _A.EXCEPTION),
    "R69": ("Field Error(s)", _A.EXCEPTION),
    "R70": ("Permissible Return Entry Not Accepted/Return Not Requested by ODFI", _A.EXCEPTION),
    "R71": ("Misrouted Dishonored Return", _A.EXCEPTION),
    "R72": ("Untimely Dishonored Return", _A.EXCEPTION),
    "R73": ("Timely Original Return", _A.EXCEPTION),
    "R74": ("Corrected Return", _A.EXCEPTION),
    "R75": ("Return Not a Duplicate", _A.EXCEPTION),
    "R76": ("No Errors Found", _A.EXCEPTION),
    "R77": ("Non-Acceptance of R62 Dishonored Return", _A.EXCEPTION),
    "R80": ("IAT Entry Coding Error", _A.EXCEPTION),
    "R81": ("Non-Participant in IAT Program", _A.EXCEPTION),
    "R82": ("Invalid Foreign Receiving DFI Identification", _A.EXCEPTION),
    "R83": ("Foreign Receiving DFI Unable to Settle", _A.EXCEPTION),
    "R84": ("Entry Not Processed by Gateway", _A.EXCEPTION),
    "R85": ("Incorrectly Coded Outbound International Payment", _A.EXCEPTION),
}
# Dishonored returns (ODFI refuses a return) and contested dishonored returns (RDFI answers), with
# their own addenda 99 layouts. NACHA (and moov-io/ach) list R70 as dishonored, R71-R77 as contested.
DISHONORED_RETURN_CODES = frozenset({"R61", "R62", "R67", "R68", "R69", "R70"})
CONTESTED_RETURN_CODES = frozenset({"R71", "R72", "R73", "R74", "R75", "R76", "R77"})
# Bank-specific codes in R80-R99 that are not NACHA's (R80-R85 are IAT codes): parsed when a bank's
# tolerance profile allows custom return codes, then routed to the exception queue.
PRIVATE_RETURN_CODES = frozenset(f"R{n}" for n in range(80, 100)) - frozenset(RETURN_CODES)

CHANGE_CODES: dict[str, str] = {
    "C01": "Incorrect DFI Account Number",
    "C02": "Incorrect Routing Number",
    "C03": "Incorrect Routing Number and Incorrect DFI Account Number",
    "C04": "Incorrect Individual Name/Receiving Company Name",
    "C05": "Incorrect Transaction Code",
    "C06": "Incorrect DFI Account Number and Incorrect Transaction Code",
    "C07": "Incorrect Routing Number, Incorrect DFI Account Number, and Incorrect Transaction Code",
    "C08": "Incorrect Receiving DFI Identification (IAT only)",
    "C09": "Incorrect Individual Identification Number",
    "C10": "Incorrect Company Name",
    "C11": "Incorrect Company Identification",
    "C12": "Incorrect Company Name and Company Identification",
    "C13": "Addenda Format Error",
}


def is_return_code(code: str) -> bool:
    """A NACHA return code (R01..R85 as listed), not a private one."""
    return code in RETURN_CODES


def is_private_return_code(code: str) -> bool:
    """A bank-specific return code (R86-R99): refused unless the bank's profile tolerates custom codes."""
    return code in PRIVATE_RETURN_CODES


def return_action(code: str) -> ReturnAction:
    """What to do with a return: RETRY for R01, EXCEPTION for unknown or private codes."""
    return RETURN_CODES[code][1] if code in RETURN_CODES else ReturnAction.EXCEPTION
