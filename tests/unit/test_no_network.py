"""Without a network, the hub is said to be out of reach at once and in words: no half-minute
of retries, no "[Errno -2] Name or service not known"."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from app.core.engine.cancel import CancelToken
from app.core.models import hub as hub_mod
from app.core.models.download import Download, Progress
from tests.hubstandin import HubStandIn
from tests.unit.test_download import FILE, REPO, remote_file


def closed_address() -> str:
    """An address on this machine where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def served(hub: HubStandIn, smollm2_path: Path) -> HubStandIn:
    hub.add_repo(REPO)
    hub.add_file(REPO, FILE, smollm2_path)
    return hub


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


def test_a_name_that_cannot_be_looked_up_is_no_network(online: None,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "https://hub.lamplight.invalid")
    with pytest.raises(hub_mod.NetworkError, match=r"^No network connection: the hub's address "
                                                   r"hub\.lamplight\.invalid cannot be looked up"):
        hub_mod.search("qwen")


def test_a_hub_that_does_not_answer_is_said_so(online: None,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    where = closed_address()
    monkeypatch.setenv("HF_ENDPOINT", where)
    with pytest.raises(hub_mod.NetworkError, match=f"Cannot reach the hub at {where}: "
                                                   "connection refused"):
        hub_mod.repo_files(REPO)


def test_a_download_stops_at_once_when_the_network_goes(
        served: HubStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The connection breaks and the hub is gone: said at the first break, with what is kept,
    instead of five retries (23 s) ending in "broke off"."""
    remote = remote_file()
    served.drop_after(REPO, FILE, 5_000_000)
    served.throttle(20_000_000)  # slow enough for progress to be reported before the break
    gone = closed_address()

    def network_goes(progress: Progress) -> None:
        if progress.done > 0:
            monkeypatch.setenv("HF_ENDPOINT", gone)

    with pytest.raises(hub_mod.NetworkError) as failed:
        Download(tmp_path / "models", remote).run(CancelToken(), network_goes)
    assert str(failed.value).startswith(f"Cannot reach the hub at {gone}: connection refused")
    assert "is downloaded and kept; resume to continue" in str(failed.value)
    gets = [r for r in served.requests if r.method == "GET" and r.path.endswith(FILE)]
    assert len(gets) == 1  # no retry was made
