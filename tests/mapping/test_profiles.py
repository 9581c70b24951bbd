"""Profiles are validated on load: the JSON Schema first, then meaning; each problem names the
file, the line and the key. The built-ins load, and a change of meaning changes the version."""

import pytest

from paygo.payroll.profile import ProfileError, builtin_profiles, normalize_header, parse_profile

BASE = 'format = 1\nid = "acme"\n'


def problems(text: str) -> list[str]:
    with pytest.raises(ProfileError) as info:
        parse_profile(text, "acme.toml")
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize("text, expected", [
    # a key the format does not have, on line 3
    (BASE + "colums = {}\n", "acme.toml:3: colums: is not a key of the profile format"),
    # the wrong type, on line 4 under [file]
    (BASE + "[file]\nskip_rows = \"two\"\n", "acme.toml:4: file.skip_rows: 'two' is not of type 'integer'"),
    # an unknown file kind
    (BASE + "[file]\nkind = \"ods\"\n", "acme.toml:4: file.kind: 'ods' is not one of ['csv', 'xlsx', 'xls']"),
    # a header mapped to a column that does not exist, line 5
    (BASE + "[columns]\n\"Emp\" = \"employee_id\"\n\"Reg Pay\" = \"regular_wages\"\n",
     "acme.toml:5: columns.\"Reg Pay\": 'regular_wages' is not a canonical column (spec/payroll-file.md)"),
    # two keys that are one header once case and spaces are ignored
    (BASE + "[columns]\n\"Reg Pay\" = \"regular_pay\"\n\"REG  PAY\" = \"overtime_pay\"\n",
     "acme.toml:5: columns.\"REG  PAY\": 'REG  PAY' and 'Reg Pay' are the same header"),
    # a long layout without its code column
    (BASE + "[layout]\nkind = \"long\"\namount_column = \"Amount\"\n[codes]\nREG = \"regular_pay\"\n",
     "acme.toml:4: layout.kind: a long layout needs layout.code_column"),
    # a code mapped to a column that is not pay
    (BASE + "[layout]\nkind = \"long\"\ncode_column = \"C\"\namount_column = \"A\"\n[codes]\nREG = \"state\"\n",
     "acme.toml:8: codes.REG: 'state' is not a pay column"),
    # money may not be fixed
    (BASE + "[fixed]\nregular_pay = \"10\"\n", "acme.toml:4: fixed.regular_pay: 'regular_pay' is not a canonical "
                                              "column that holds text"),
    # a template naming something unknown
    (BASE + "[derived]\npayroll_run_id = \"R-{run}\"\n", "acme.toml:4: derived.payroll_run_id: {run} is not a "
                                                         "canonical column or file_stem"),
    (BASE + "extends = \"nope\"\n", "acme.toml:3: extends: no built-in profile 'nope'"),
    ("format = 1\nid = \n", "acme.toml:2: not valid TOML"),
    ("format = 2\nid = \"acme\"\n", "acme.toml:1: format: 1 was expected"),
])
def test_problems_name_line_and_key(text, expected):
    found = problems(text)
    assert any(p.startswith(expected) for p in found), found


def test_builtins_load_with_stable_versions():
    profiles = builtin_profiles()
    assert set(profiles) == {"canonical", "gusto-payroll-journal", "adp-wc-report", "adp-pay-data-pairs",
                             "paychex-flex-pay-data"}
    assert all(len(p.version) == 12 for p in profiles.values())


def test_the_version_follows_meaning_not_layout():
    a = parse_profile(BASE + "[fixed]\nrun_type = \"regular\"\n", "a.toml")
    b = parse_profile("# a comment\n" + BASE + "\n[fixed]\nrun_type   =   \"regular\"\n", "b.toml")
    c = parse_profile(BASE + "[fixed]\nrun_type = \"off_cycle\"\n", "c.toml")
    assert a.version == b.version != c.version


def test_extending_adds_to_ignore_and_replaces_the_rest():
    p = parse_profile(BASE + 'extends = "paychex-flex-pay-data"\nignore = ["Memo"]\n[formats]\nmoney = "us"\n', "x")
    assert set(p.ignore) == {"Rate", "Hours", "Memo"}
    assert p.money_format == "us" and p.negatives == "minus" and p.layout == "long"


@pytest.mark.parametrize("a, b", [("Worker ID", "workerid"), ("  Regular (Amount) ", "regular(amount)"),
                                  ("COMP\tCODE", "Comp Code")])
def test_headers_match_case_and_space_insensitively(a, b):
    assert normalize_header(a) == normalize_header(b)
