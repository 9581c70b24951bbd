"""`paygo ach reconcile`: not built yet."""

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    print("paygo ach reconcile: not built yet")
    return 2
