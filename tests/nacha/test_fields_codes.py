"""Pins the field helpers (padding, check digit, masking) and the code tables' routing of returns."""

import pytest

from paygo.nacha import codes
from paygo.nacha.fields import alpha, check_digit, is_valid_routing, mask_account, numeric


@pytest.mark.parametrize("first8, digit", [
    ("23138010", 4),  # 2*3+3*7+1*1+3*3+8*7+0*1+1*3+0*7 = 96 -> 100-96 = 4
    ("12104288", 2),  # 3+14+1+0+28+2+24+56 = 128 -> 2
    ("03130001", 2),  # 0*3+3*7+1*1+3*3+0*7+0*1+0*3+1*7 = 38 -> 2
    ("09140060", 6),  # 0*3+9*7+1*1+4*3+0*7+0*1+6*3+0*7 = 94 -> 6
    ("10006755", 8),  # 3+0+0+0+42+7+15+35 = 102 -> 8 (FISERV's 100067554 is wrong)
])
def test_check_digit(first8, digit):
    assert check_digit(first8) == digit


@pytest.mark.parametrize("routing, valid", [
    ("231380104", True), ("231380105", False), ("100067554", False), ("23138010", False), ("23138010x", False),
])
def test_is_valid_routing(routing, valid):
    assert is_valid_routing(routing) is valid


def test_padding_and_refusal_to_truncate():
    assert alpha("Fee #1", 10) == "Fee #1    "  # left-justified, space-filled
    assert numeric(125, 10) == "0000000125"  # right-justified, zero-filled
    with pytest.raises(ValueError):
        numeric(10**10, 10)  # 11 digits never fit 10: no silent truncation of money
    with pytest.raises(ValueError):
        alpha("x" * 18, 17)


@pytest.mark.parametrize("account, shown", [
    ("744-5678-99      ", "****8-99"),  # last four characters of the trimmed number
    ("1918171614", "****1614"),
    ("123", "****"),  # too short to show anything
])
def test_mask_account(account, shown):
    assert mask_account(account) == shown


@pytest.mark.parametrize("code, action", [
    ("R01", codes.ReturnAction.RETRY), ("R09", codes.ReturnAction.RETRY),
    ("R03", codes.ReturnAction.NEW_BANK_DETAILS), ("R20", codes.ReturnAction.NEW_BANK_DETAILS),
    ("R29", codes.ReturnAction.NEW_AUTHORIZATION), ("R08", codes.ReturnAction.REAUTHORIZE_STOP_PAYMENT),
    ("R17", codes.ReturnAction.CORRECT_AND_RESEND), ("R97", codes.ReturnAction.EXCEPTION),
])
def test_return_action(code, action):
    assert codes.return_action(code) is action


def test_code_tables():
    assert len(codes.CHANGE_CODES) == 13 and "C92" not in codes.CHANGE_CODES
    assert codes.is_private_return_code("R97") and not codes.is_return_code("R96")
    assert codes.is_debit(codes.CHECKING_DEBIT) and codes.is_debit(codes.CHECKING_RETURN_DEBIT)
    assert not codes.is_debit(codes.SAVINGS_CREDIT)
