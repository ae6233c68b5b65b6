"""A credential store for tests: keys in a JSON file named by `LAMPLIGHT_TEST_KEYRING`, never
the developer's own store. The autouse fixture in conftest selects it through
`PYTHON_KEYRING_BACKEND`, which `keyring` reads in this process and in every `lamplight` the
tests start; `LAMPLIGHT_TEST_KEYRING=none` stands for a system without a store."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import NoKeyringError, PasswordDeleteError


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    @staticmethod
    def _path() -> Path | None:
        where = os.environ.get("LAMPLIGHT_TEST_KEYRING", "")
        if where in ("", "none"):
            return None
        return Path(where)

    def _read(self) -> dict[str, str]:
        path = self._path()
        if path is None:
            raise NoKeyringError("no credential store (tests)")
        return json.loads(path.read_text()) if path.is_file() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._read().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._read()
        data[f"{service}/{username}"] = password
        path = self._path()
        assert path is not None
        path.write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._read()
        if data.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError("no such key")
        path = self._path()
        assert path is not None
        path.write_text(json.dumps(data))
