"""The SFTP side of paygo: payroll company inboxes and the bank (plain Python, no dagster).

- `inbox`: pure values: `RemoteFile`, `InboxCursor`, `is_safe_name`.
- `client`: `connect(...)`, a paramiko SFTP session with pinned host keys and bounded retries.
- `transfer`: listing, checksummed fetch, temp-name writes and non-overwriting renames.
- `payroll`: a company home (inbox/, archive/, rejected/, reports/).
- `bank`: `upload_confirmed`, `list_returns`, `fetch`.
- `server`: `EmbeddedSftpServer` (asyncssh) and `make_keypair` for the demo and tests.

See docs/sftp.md for the folder layout and conventions.
"""
