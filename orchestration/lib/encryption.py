"""Encryption at rest (optional, issue 11).

With CONSENT_LEDGER_ENCRYPTION_KEY set, dbt builds the working database encrypted (profiles.yml,
target `encrypted`), publish writes the published file encrypted, and every reader attaches them
with the key: without it neither file opens, and no address is readable in their bytes. Without
the key nothing changes.

DuckDB encrypts with AES-GCM but writes an encrypted file only with its httpfs extension loaded
(OpenSSL; the built-in module is read-only). The extension is never downloaded: it is loaded by
path from the `duckdb-extension-httpfs` wheel matching the installed DuckDB (constraints.txt), or
from CONSENT_LEDGER_DUCKDB_CRYPTO_EXTENSION.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import duckdb

KEY_ENV = "CONSENT_LEDGER_ENCRYPTION_KEY"
EXTENSION_ENV = "CONSENT_LEDGER_DUCKDB_CRYPTO_EXTENSION"
KEY_VARIABLE = "consent_ledger_encryption_key"  # a DuckDB variable: the key never appears in SQL text


class EncryptionSetupError(RuntimeError):
    """A key is configured but DuckDB cannot write encrypted files here."""


def encryption_key() -> str | None:
    """The configured key, or None (files stay unencrypted)."""
    return os.environ.get(KEY_ENV) or None


def crypto_extension() -> Path:
    """The httpfs extension file for the installed DuckDB, from the environment or the wheel."""
    if os.environ.get(EXTENSION_ENV):
        path = Path(os.environ[EXTENSION_ENV])
    else:
        spec = importlib.util.find_spec("duckdb_extension_httpfs")
        package = Path(spec.origin).parent if spec and spec.origin else Path("/nonexistent")
        path = package / "extensions" / f"v{duckdb.__version__}" / "httpfs.duckdb_extension"
    if not path.is_file():
        raise EncryptionSetupError(
            f"{KEY_ENV} is set, but DuckDB {duckdb.__version__} cannot write encrypted files without its "
            f"httpfs extension ({path} not found): install duckdb-extension-httpfs=={duckdb.__version__} "
            f"(see constraints.txt) or set {EXTENSION_ENV} to its httpfs.duckdb_extension file")
    return path


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Make `con` able to attach encrypted files: load the crypto extension and set the key
    variable (a no-op without a key)."""
    key = encryption_key()
    if key is None:
        return
    con.execute(f"load {_literal(str(crypto_extension()))}")
    set_key_variable(con)


def set_key_variable(con: duckdb.DuckDBPyConnection) -> None:
    """Put the key in the connection's DuckDB variable (variables are per connection and cursor)."""
    key = encryption_key()
    if key is not None:
        con.execute(f"set variable {KEY_VARIABLE} = ?", [key])


def attach_options(read_only: bool = False) -> str:
    """ATTACH options for a database file: `(read_only)` and, with a key, the key variable."""
    options = ["read_only"] if read_only else []
    if encryption_key() is not None:
        options.append(f"encryption_key getvariable('{KEY_VARIABLE}')")
    return f" ({', '.join(options)})" if options else ""


def attach(con: duckdb.DuckDBPyConnection, path: Path, alias: str, read_only: bool = False) -> None:
    """ATTACH `path` as `alias`, encrypted when a key is configured."""
    prepare(con)
    # a literal, not a parameter: DuckDB before 2.0 takes no parameters in ATTACH
    con.execute(f"attach {_literal(str(path))} as {alias}{attach_options(read_only)}")


def connect(path: Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Like duckdb.connect(path): a connection whose default catalog is the file."""
    if encryption_key() is None:
        return duckdb.connect(str(path), read_only=read_only)
    con = duckdb.connect()
    attach(con, path, "db", read_only=read_only)
    con.execute("use db")
    return con


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
