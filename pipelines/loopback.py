"""The outside world on loopback, for the demo and the benchmarks: two embedded SFTP servers.

One server is where the payroll companies log in (each confined to its own home with `inbox/`,
`archive/`, `rejected/`, `reports/`); the other is where paygo's service accounts log in: `payroll`
sees every company home, `bank` sees the bank's folder (`inbound/` for our debit files,
`returns/` for what the sandbox bank answers). Keys are generated once under `root/keys` and the
servers' host keys are pinned in `root/keys/known_hosts`: nothing is trusted on first use.
"""

from datetime import date
from pathlib import Path

from pipelines.io import PartitionedPickleIOManager
from pipelines.resources import (
    Notifier,
    PaygoClock,
    PaygoDatabase,
    PaygoHome,
    SftpBankConnection,
    SftpPayrollInbox,
)
from sftp_ingest.client import connect
from sftp_ingest.server import EmbeddedSftpServer, make_keypair
from sftp_ingest.transfer import write_new_file

COMPANY_FOLDERS = ("inbox", "archive", "rejected", "reports")
HOST = "127.0.0.1"


class LoopbackSftp:
    """A context manager: both servers running, with their folders and keys under `root`."""

    def __init__(self, root: Path, companies: tuple[str, ...]):
        self.root, self.companies = root, companies
        keys = root / "keys"
        self.keys = {}
        for name in (*companies, "paygo-payroll", "paygo-bank"):
            private = keys / name
            if not private.exists():
                make_keypair(private)
            self.keys[name] = (str(private), Path(f"{private}.pub").read_text().strip())
        for company in companies:
            for folder in COMPANY_FOLDERS:
                (root / "sftp" / "payroll" / company / folder).mkdir(parents=True, exist_ok=True)
        for folder in ("inbound", "returns/archive"):
            (root / "sftp" / "bank" / folder).mkdir(parents=True, exist_ok=True)
        self.known_hosts = keys / "known_hosts"
        self.bank_root = root / "sftp" / "bank"

    def __enter__(self) -> "LoopbackSftp":
        sftp, keys = self.root / "sftp", self.root / "keys"
        self.company_server = EmbeddedSftpServer(
            sftp / "payroll", {c: self.keys[c][1] for c in self.companies}, host_key_path=keys / "host_key_companies"
        )
        self.paygo_server = EmbeddedSftpServer(
            sftp, {"payroll": self.keys["paygo-payroll"][1], "bank": self.keys["paygo-bank"][1]},
            host_key_path=keys / "host_key_paygo",
        )
        self.company_server.__enter__()
        try:
            self.paygo_server.__enter__()
        except BaseException:
            self.company_server.__exit__(None, None, None)
            raise
        self.known_hosts.write_text(f"{self.company_server.known_hosts_line}\n{self.paygo_server.known_hosts_line}\n")
        return self

    def __exit__(self, *exc_info) -> None:
        self.paygo_server.__exit__(None, None, None)
        self.company_server.__exit__(None, None, None)

    def upload(self, company: str, name: str, data: bytes) -> str:
        """Upload as the company does: a temp name, renamed when complete; returns the remote path."""
        with connect(HOST, self.company_server.port, company, self.keys[company][0], str(self.known_hosts)) as sftp:
            return write_new_file(sftp, "/inbox", name, data)

    def resources(self, *, url: str, key_file: Path, home: Path, day: date) -> dict:
        """The Dagster resources of one simulated day against these servers."""
        return {
            "inbox": SftpPayrollInbox(
                host=HOST, port=self.paygo_server.port, username="payroll",
                private_key_path=self.keys["paygo-payroll"][0], known_hosts_path=str(self.known_hosts),
                settle_seconds=0,  # uploads go to a temp name and are renamed when complete
            ),
            "bank": SftpBankConnection(
                host=HOST, port=self.paygo_server.port, username="bank",
                private_key_path=self.keys["paygo-bank"][0], known_hosts_path=str(self.known_hosts),
            ),
            "database": PaygoDatabase(url=url, account_key_file=str(key_file)),
            "home": PaygoHome(path=str(home)),
            "clock": PaygoClock(fixed_date=day.isoformat()),
            "io_manager": PartitionedPickleIOManager(base_dir=str(home / "dagster-storage")),
            "notifier": Notifier(),
        }
