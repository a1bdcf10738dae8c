"""Encryption at rest (issue 11): with CONSENT_LEDGER_ENCRYPTION_KEY set, the working and the
published database are encrypted: neither opens without the key (or with another), and no address
is readable in their bytes; with the key every reader works as before.

DuckDB writes encrypted files only with its httpfs crypto module, loaded by path from the
`duckdb-extension-httpfs` wheel matching the installed DuckDB; where that wheel is not installed
(no release matches DuckDB 2.0.x) the end-to-end tests skip and only the refusal is tested.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.lib import encryption
from orchestration.lib.paths import working_db
from tests.conftest import FIXTURES, REPO

KEY = "correct horse battery staple"


def crypto_available() -> bool:
    try:
        encryption.crypto_extension()
    except encryption.EncryptionSetupError:
        return False
    return True


def cli_run(root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONSENT_LEDGER_LANDING": str(root / "landing"),
           "CONSENT_LEDGER_WAREHOUSE": str(root / "warehouse" / "ledger.duckdb"),
           "CONSENT_LEDGER_REPORTS": str(root / "reports"), "CONSENT_LEDGER_EXPORTS": str(root / "exports"), **env}
    return subprocess.run([sys.executable, "-m", "orchestration.cli", "run", "--as-of", "2026-03-10"], cwd=REPO,
                          env=env, capture_output=True, text=True, check=False, timeout=1800)


def test_a_key_without_the_crypto_module_is_a_clear_error(tmp_path: Path) -> None:
    """Fail closed: a configured key never silently writes plain files."""
    shutil.copytree(FIXTURES / "landing" / "nightly_rules", tmp_path / "landing")
    result = cli_run(tmp_path, {encryption.KEY_ENV: KEY, encryption.EXTENSION_ENV: str(tmp_path / "missing")})
    assert result.returncode != 0
    assert "cannot write encrypted files" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "warehouse" / "ledger.duckdb").exists()


@pytest.fixture(scope="module")
def encrypted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if not crypto_available():
        pytest.skip(f"DuckDB {duckdb.__version__} has no crypto module here: duckdb-extension-httpfs"
                    f"=={duckdb.__version__} is not installed (README, encryption at rest)")
    root = tmp_path_factory.mktemp("encrypted")
    shutil.copytree(FIXTURES / "landing" / "nightly_rules", root / "landing")
    result = cli_run(root, {encryption.KEY_ENV: KEY})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    published = root / "warehouse" / "ledger.duckdb"
    return {"published": published, "working": working_db(published)}


def test_neither_database_opens_without_the_key(encrypted: dict[str, Path]) -> None:
    for path in encrypted.values():
        with pytest.raises(duckdb.Error):
            duckdb.connect(str(path), read_only=True).execute("select 1").fetchall()
        with duckdb.connect() as con:
            con.execute(f"load '{encryption.crypto_extension()}'")
            with pytest.raises(duckdb.Error, match=r"(?i)key"):
                con.execute(f"attach '{path}' as wrong (read_only, encryption_key 'not the key')")


def test_no_address_is_readable_in_the_file_bytes(encrypted: dict[str, Path],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(encryption.KEY_ENV, KEY)
    with encryption.connect(encrypted["working"]) as con:
        addresses = [email for (email,) in con.execute(
            "select distinct email from intermediate.int_contacts__resolved where email is not null").fetchall()]
        lines = con.execute("select count(*) from staging.base_landing__lines where raw_text like '%@%'").fetchone()[0]
    with encryption.connect(encrypted["published"]) as con:
        published = con.execute("select count(*) from consent.contacts where email is not null").fetchone()[0]
    assert len(addresses) >= 3 and lines >= 3 and published >= 3  # the key opens both, and they hold addresses
    for path in encrypted.values():
        data = b"".join(p.read_bytes() for p in (path, Path(f"{path}.wal")) if p.exists())
        assert not [a for a in addresses if a.encode() in data], path
