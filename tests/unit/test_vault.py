"""The token vault keeps tokens for later runs, privately, and hands back only expired ones."""

import stat
import time

from lhv.session.vault import TokenVault


def test_vault_returns_only_expired_tokens_once(tmp_path):
    vault = TokenVault(tmp_path / "v" / "vault.json", "p.toml")
    vault.deposit("k", "token-fresh-123", time.time() + 3600)
    assert vault.take_expired("k", 5) is None
    vault.deposit("k", "token-old-456", time.time() - 60)
    taken = vault.take_expired("k", 5)
    assert taken is not None and taken.token == "token-old-456"
    assert vault.take_expired("k", 5) is None
    assert stat.S_IMODE(vault.path.stat().st_mode) == 0o600
