"""Which resources a deployment gets, picked by PAYGO_DEPLOYMENT: `local` (default) or `prod`.

`local` keeps everything under PAYGO_HOME (default ./.paygo): a folder inbox, a folder bank, SQLite.
`prod` reads the SFTP servers and the database from the environment through dg.EnvVar, so no secret
is ever in code or in Dagster's stored run config."""

import os
from pathlib import Path

import dagster as dg

from pipelines.io import PartitionedPickleIOManager
from pipelines.resources import (
    DirectoryBankConnection,
    Notifier,
    LocalPayrollInbox,
    PaygoClock,
    PaygoDatabase,
    PaygoHome,
    SftpBankConnection,
    SftpPayrollInbox,
)


def resources_for_deployment(deployment: str | None = None, home: str | None = None) -> dict:
    deployment = deployment or os.environ.get("PAYGO_DEPLOYMENT", "local")
    home_path = Path(home or os.environ.get("PAYGO_HOME", ".paygo"))
    common = {
        "home": PaygoHome(path=str(home_path)),
        "clock": PaygoClock(),
        "io_manager": PartitionedPickleIOManager(base_dir=str(home_path / "dagster-storage")),
        "notifier": Notifier(),
    }
    if deployment == "local":
        return common | {
            "inbox": LocalPayrollInbox(root=str(home_path / "sftp" / "payroll")),
            "bank": DirectoryBankConnection(root=str(home_path / "sftp" / "bank")),
            "database": PaygoDatabase(
                url=os.environ.get("PAYGO_DATABASE_URL", f"sqlite:///{home_path / 'paygo.db'}"),
                account_key_file=os.environ.get("PAYGO_ACCOUNT_KEY_FILE", str(home_path / "account.key")),
            ),
        }
    if deployment == "prod":
        return common | {
            "inbox": SftpPayrollInbox(
                host=dg.EnvVar("PAYGO_SFTP_HOST"),
                port=dg.EnvVar.int("PAYGO_SFTP_PORT"),
                username=dg.EnvVar("PAYGO_SFTP_USERNAME"),
                private_key_path=dg.EnvVar("PAYGO_SFTP_PRIVATE_KEY_FILE"),
                known_hosts_path=dg.EnvVar("PAYGO_SFTP_KNOWN_HOSTS"),
            ),
            "bank": SftpBankConnection(
                host=dg.EnvVar("PAYGO_BANK_HOST"),
                port=dg.EnvVar.int("PAYGO_BANK_PORT"),
                username=dg.EnvVar("PAYGO_BANK_USERNAME"),
                private_key_path=dg.EnvVar("PAYGO_BANK_PRIVATE_KEY_FILE"),
                known_hosts_path=dg.EnvVar("PAYGO_SFTP_KNOWN_HOSTS"),
            ),
            "database": PaygoDatabase(
                url=dg.EnvVar("PAYGO_DATABASE_URL"), account_key_file=dg.EnvVar("PAYGO_ACCOUNT_KEY_FILE")
            ),
            "notifier": Notifier(
                smtp_host=dg.EnvVar("PAYGO_SMTP_HOST"),
                smtp_port=dg.EnvVar.int("PAYGO_SMTP_PORT"),
                username=dg.EnvVar("PAYGO_SMTP_USERNAME"),
                password=dg.EnvVar("PAYGO_SMTP_PASSWORD"),
                starttls=True,
            ),
        }
    raise ValueError(f"unknown PAYGO_DEPLOYMENT {deployment!r}: expected 'local' or 'prod'")
