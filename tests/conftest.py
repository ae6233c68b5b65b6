"""Every test runs offscreen, offline, and with a data dir of its own, never the user's."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path_factory: pytest.TempPathFactory,
                      monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    data_dir = tmp_path_factory.mktemp("lamplight-data")
    monkeypatch.setenv("LAMPLIGHT_DATA_DIR", str(data_dir))
    yield data_dir
