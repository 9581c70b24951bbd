"""Fixed-width NACHA field helpers and the ABA routing-number check digit.

Rule (NACHA Operating Rules, Appendix Two; ABA routing number policy): every record is 94
characters; alphanumeric fields are left-justified and space-filled, numeric fields are
right-justified and zero-filled. The ninth digit of a routing number is a check digit: multiply
the first eight digits by the weights 3, 7, 1, 3, 7, 1, 3, 7, sum, and the check digit is the
amount needed to reach the next multiple of ten.
Worked example: 23138010 -> 2*3 + 3*7 + 1*1 + 3*3 + 8*7 + 0*1 + 1*3 + 0*7 = 96 -> check digit 4,
so 231380104 is valid and 231380105 is not.
"""

RECORD_LENGTH = 94
BLOCKING_FACTOR = 10
WEIGHTS = (3, 7, 1, 3, 7, 1, 3, 7)


def alpha(value: str, width: int) -> str:
    """Left-justify `value` in `width` characters; raise if it does not fit (we never truncate money data)."""
    if len(value) > width:
        raise ValueError(f"{value!r} is longer than {width} characters")
    return value.ljust(width)


def numeric(value: int, width: int) -> str:
    """Zero-fill a non-negative integer to `width` digits; raise if it does not fit."""
    if value < 0:
        raise ValueError(f"{value} is negative")
    text = str(value)
    if len(text) > width:
        raise ValueError(f"{value} does not fit in {width} digits")
    return text.zfill(width)


def is_digits(text: str) -> bool:
    """True when every character is an ASCII digit (and there is at least one)."""
    return text.isascii() and text.isdigit()


def is_printable(text: str) -> bool:
    """True when every character is printable ASCII (0x20-0x7E), what NACHA allows in a record."""
    return text.isascii() and text.isprintable()  # for ASCII, printable is exactly 0x20-0x7E


def check_digit(first_eight: str) -> int:
    """The ABA check digit of an 8-digit DFI identification: 23138010 -> 4."""
    if len(first_eight) != 8 or not is_digits(first_eight):
        raise ValueError(f"{first_eight!r} is not 8 digits")
    total = sum(int(ch) * w for ch, w in zip(first_eight, WEIGHTS))
    return (10 - total % 10) % 10


def is_valid_routing(routing: str) -> bool:
    """True for 9 digits whose last digit is the check digit of the first eight."""
    return len(routing) == 9 and is_digits(routing) and check_digit(routing[:8]) == int(routing[8])


def mask_account(account: str) -> str:
    """Show only the last four characters of an account number: '744-5678-99' -> '****8-99'."""
    text = account.strip()
    return "****" + text[-4:] if len(text) > 4 else "****"
