"""NACHA ACH files: records, codes, building, writing, reading and validating (moov-io/ach's shape)."""
