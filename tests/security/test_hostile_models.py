"""Hostile model files and hostile hub answers (issue 17, items 11 and 1).

Model files are made from the real SmolLM2 GGUF, changed in one field (`tests/gguffiles.py`):
every size in a header is checked against the file before it is used, and a file whose tensor
data is not all there is refused with one line wherever a model is read (`models list|info|
import`, `chat --model`, the Models page). Hub answers come through the real `huggingface_hub`
client from the local stand-in, taught to say anything (`HubStandIn.rewrite`): no name from the
hub becomes a path outside the models folder, and no repo id, size, hash or commit from it is
trusted unchecked.
"""

from __future__ import annotations

import ctypes
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.core.models.gguf import GGML_TYPES, GGUFError, read_header
from app.core.models.library import LibraryError, import_model, list_models
from tests.gguffiles import Layout, crafted, layout, u32, u64

TIMEOUT_S = 300


@pytest.fixture(scope="module")
def smol_layout(smollm2_path: Path) -> Layout:
    return layout(smollm2_path)


# -- crafted GGUF headers ------------------------------------------------------------------

Craft = Callable[[Layout], tuple[dict[int, bytes], int | None]]

# name: (what to change in the real file (patches, length or None for all of it), the reason)
HOSTILE: dict[str, tuple[Craft, str]] = {
    # The probe: a u64 array of 2^63-1 items (OverflowError from seek before).
    "u64-array-of-2^63-1": (lambda g: ({g.kvs["tokenizer.ggml.token_type"].item_kind_at: u32(10),
                                        g.kvs["tokenizer.ggml.token_type"].count_at:
                                            u64(2**63 - 1)}, None),
                            "impossible array length"),
    "string-array-of-2^63-1": (lambda g: ({g.kvs["tokenizer.ggml.tokens"].count_at:
                                               u64(2**63 - 1)}, None),
                               "impossible array length"),
    "array-longer-than-the-file": (lambda g: ({g.kvs["tokenizer.ggml.token_type"].count_at:
                                                   u64(10**9)}, None),
                                   "impossible array length"),
    "string-of-2^64-1": (lambda g: ({g.kvs["general.name"].value_at: u64(2**64 - 1)}, None),
                         "impossible string length"),
    "tensor-count-2^63": (lambda g: ({g.tensor_count_at: u64(2**63)}, None),
                          "counts are impossible"),
    "tensor-name-of-2^63": (lambda g: ({_tensor_name_at(g, 1): u64(2**63)}, None),
                            "impossible tensor name length"),
    "truncated-10MB": (lambda g: ({}, 10_000_000), "incomplete download"),
    "header-only": (lambda g: ({}, g.data_start), "incomplete download"),
    "absurd-dimension": (lambda g: ({g.tensors[0].dims_at[1]: u64(2**40)}, None),
                         "does not start where the one before it ends"),
    "last-tensor-past-the-end": (lambda g: ({g.tensors[-1].dims_at[0]: u64(
        g.tensors[-1].dims[0] * 4096)}, None), "tensors need"),
    "dimensions-overflow": (lambda g: ({g.tensors[0].dims_at[0]: u64(2**62),
                                        g.tensors[0].dims_at[1]: u64(2**62)}, None),
                            "impossible dimensions"),
    "negative-dimension": (lambda g: ({g.tensors[0].dims_at[0]: u64(2**64 - 1)}, None),
                           "impossible size"),
    "zero-dimension": (lambda g: ({g.tensors[0].dims_at[1]: u64(0)}, None), "impossible size 0"),
    "five-dimensions": (lambda g: ({g.tensors[0].dims_at[0] - 4: u32(5)}, None),
                        "5 dimensions"),
    "removed-tensor-type": (lambda g: ({g.tensors[0].kind_at: u32(4)}, None), "does not know"),
    "unknown-tensor-type": (lambda g: ({g.tensors[0].kind_at: u32(2**31)}, None),
                            "does not know"),
    "row-not-whole-blocks": (lambda g: ({g.tensors[0].dims_at[0]: u64(575)}, None),
                             "not a multiple"),
    "gap-between-tensors": (lambda g: ({g.tensors[1].offset_at: u64(g.tensors[1].offset + 32)},
                                       None), "does not start where"),
    "alignment-not-u32": (lambda g: ({g.kvs["general.file_type"].start + 8: b"general.alignment",
                                      g.kvs["general.file_type"].kind_at: u32(5)}, None),
                          "not an unsigned 32-bit number"),
    "alignment-not-a-power-of-two": (lambda g: ({g.kvs["general.file_type"].start + 8:
                                                     b"general.alignment"}, None),
                                     "not a power of two"),
    "duplicate-key": (lambda g: ({g.kvs["general.basename"].start + 8: b"general.finetune"},
                                 None), "twice"),
}


def _tensor_name_at(g: Layout, index: int) -> int:
    """Where the name length of tensor `index` is: after the one before it ends."""
    before = g.tensors[index - 1]
    return before.offset_at + 8


def make_hostile(smollm2_path: Path, g: Layout, case: str, folder: Path) -> Path:
    patches, length = HOSTILE[case][0](g)
    return crafted(smollm2_path, folder / f"{case}.gguf", patches, length)


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_crafted_or_damaged_header_is_refused_with_one_line(
        case: str, smollm2_path: Path, smol_layout: Layout, tmp_path: Path) -> None:
    path = make_hostile(smollm2_path, smol_layout, case, tmp_path)
    with pytest.raises(GGUFError, match=HOSTILE[case][1]) as refused:
        read_header(path)
    assert "\n" not in str(refused.value)
    assert len(str(refused.value)) < 200


@pytest.mark.model
def test_the_real_models_pass(smollm2_path: Path, gemma_path: Path) -> None:
    for path in (smollm2_path, gemma_path):
        header = read_header(path)
        assert header.tensor_count > 0


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="counts bytes read on Linux")
def test_reading_a_header_reads_the_header_only(smollm2_path: Path, smol_layout: Layout) -> None:
    """The README says listing stays instant: the check of the tensor data is arithmetic on the
    header, not a read of the 98 MB file."""
    def bytes_read() -> int:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith("rchar:"):
                return int(line.split()[1])
        raise AssertionError("no rchar")  # pragma: no cover

    before = bytes_read()
    read_header(smollm2_path)
    # The header is 1.8 MB; reads go in blocks of 1 MB, and reading /proc adds a little.
    assert bytes_read() - before < smol_layout.data_start + (2 << 20)


def test_shape_numbers_beyond_belief_are_not_used(smollm2_path: Path, smol_layout: Layout,
                                                  tmp_path: Path) -> None:
    g = smol_layout
    path = crafted(smollm2_path, tmp_path / "shape.gguf", {
        g.kvs["llama.block_count"].value_at: u32(0),
        g.kvs["llama.context_length"].value_at: u32(2**32 - 1),
    })
    header = read_header(path)  # the file loads; its claims are not believed
    assert header.n_layers is None
    assert header.context_length is None


def test_a_folder_or_a_pipe_is_refused_without_waiting(tmp_path: Path) -> None:
    folder = tmp_path / "folder.gguf"
    folder.mkdir()
    with pytest.raises(GGUFError, match="folder"):
        read_header(folder)
    fifo = tmp_path / "pipe.gguf"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def read() -> None:
        try:
            read_header(fifo)
            outcome.append(None)
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(30)  # generous: it returns at once unless opening the pipe blocks
    if reader.is_alive():  # release the reader before failing
        with fifo.open("wb"):
            pass
        pytest.fail("reading a pipe's header blocked")
    assert isinstance(outcome[0], GGUFError)
    assert "not a regular file" in str(outcome[0])


def test_import_refuses_what_cannot_load(smollm2_path: Path, smol_layout: Layout,
                                         tmp_path: Path) -> None:
    models_dir = tmp_path / "models"
    for case in ("truncated-10MB", "header-only", "absurd-dimension", "u64-array-of-2^63-1"):
        path = make_hostile(smollm2_path, smol_layout, case, tmp_path)
        for copy in (True, False):
            with pytest.raises(LibraryError, match=re.escape(f"Cannot import {path.name}: ")):
                import_model(models_dir, path, copy=copy)
    assert [e for e in list_models(models_dir) if not e.builtin] == []


# -- the same, as a user meets them --------------------------------------------------------

def lamplight(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}
    return subprocess.run([sys.executable, "-m", "app", "--data-dir", str(data_dir), *args],
                          input="hello\n", capture_output=True, text=True, env=env,
                          timeout=TIMEOUT_S, check=False)


def one_line_error(done: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("lamplight: error: ")
    return lines[0]


@pytest.mark.integration
def test_list_info_import_and_chat_give_one_line(smollm2_path: Path, smol_layout: Layout,
                                                 tmp_path: Path) -> None:
    data = tmp_path / "data"
    models = data / "models"
    models.mkdir(parents=True)
    cases = ("u64-array-of-2^63-1", "truncated-10MB", "header-only", "absurd-dimension")
    for case in cases:
        make_hostile(smollm2_path, smol_layout, case, models)

    listed = lamplight(data, "models", "list")
    assert listed.returncode == 0, listed.stderr
    assert "Traceback" not in listed.stderr
    rows = {line.split("\t")[0]: line for line in listed.stdout.splitlines()}
    assert "135M" in rows["builtin"]  # the good model keeps its metadata
    for case in cases:
        assert "\tunreadable (" in rows[case], rows[case]

    for case in cases:
        path = models / f"{case}.gguf"
        assert f"{case}.gguf: " in one_line_error(lamplight(data, "models", "info", case))
        assert f"Cannot import {case}.gguf: " in one_line_error(
            lamplight(tmp_path / "other", "models", "import", str(path)))
        assert f"Cannot load {case}.gguf: " in one_line_error(
            lamplight(data, "chat", "--model", str(path), "--no-save"))


@pytest.mark.integration
def test_info_and_import_of_a_pipe_or_a_folder_give_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    fifo = tmp_path / "pipe.gguf"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.gguf"
    folder.mkdir()
    for path in (fifo, folder):
        assert "is not a file" in one_line_error(lamplight(data, "models", "info", str(path)))
        assert "Cannot import" in one_line_error(lamplight(data, "models", "import", str(path)))


@pytest.mark.integration
@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs a file its user cannot read: root reads every file")
def test_info_on_an_unreadable_file_gives_one_line(smollm2_path: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked.gguf"
    locked.write_bytes(smollm2_path.read_bytes()[:4096])
    locked.chmod(0)
    assert "Permission denied" in one_line_error(
        lamplight(tmp_path / "data", "models", "info", str(locked)))


@pytest.mark.qt
def test_one_bad_file_marks_only_its_row_on_the_models_page(  # type: ignore[no-untyped-def]
        qtbot, paths, smollm2_path: Path, smol_layout: Layout) -> None:
    from PySide6.QtWidgets import QTreeWidgetItem

    from app.qt.widgets.model_lists import OBJECT_ROLE, InstalledList

    make_hostile(smollm2_path, smol_layout, "u64-array-of-2^63-1", paths.models_dir)
    make_hostile(smollm2_path, smol_layout, "truncated-10MB", paths.models_dir)
    installed = InstalledList(paths.models_dir, 4096)
    qtbot.addWidget(installed)
    installed.refresh()

    def rows() -> dict[str, QTreeWidgetItem]:
        tree = installed.tree
        return {tree.topLevelItem(i).data(0, OBJECT_ROLE).name: tree.topLevelItem(i)
                for i in range(tree.topLevelItemCount())}

    qtbot.waitUntil(lambda: all(r.text(1) != "…" for r in rows().values()), timeout=30_000)
    found = rows()
    assert found["builtin"].text(1) == "135M"  # the good model keeps its metadata
    for case in ("u64-array-of-2^63-1", "truncated-10MB"):
        assert found[case].text(installed.FIT) == "unreadable"
        assert "unreadable" in found[case].toolTip(0)


# -- the tensor types and the rules, as the llama.cpp the app ships has them ---------------

def _ggml() -> Any:
    from llama_cpp._ggml import libggml

    return libggml


@pytest.mark.model
def test_the_tensor_types_are_ggmls_own() -> None:
    """Block and type sizes as `ggml_blck_size`/`ggml_type_size` give them, for every type the
    shipped llama.cpp has (removed types have a block size of 0): a newer llama.cpp with new
    types fails this until the table learns them."""
    from llama_cpp import llama_cpp

    lib = _ggml()
    lib.ggml_blck_size.restype, lib.ggml_blck_size.argtypes = ctypes.c_int64, [ctypes.c_int]
    lib.ggml_type_size.restype, lib.ggml_type_size.argtypes = ctypes.c_size_t, [ctypes.c_int]
    known = {kind: (lib.ggml_blck_size(kind), lib.ggml_type_size(kind))
             for kind in range(llama_cpp.GGML_TYPE_COUNT)}
    assert {kind: sizes for kind, sizes in known.items() if sizes[0]} == GGML_TYPES


class _GGUFInitParams(ctypes.Structure):
    _fields_ = [("no_alloc", ctypes.c_bool), ("ctx", ctypes.c_void_p)]


def _ggml_reads(path: Path) -> bool:
    """Whether llama.cpp's own GGUF reader takes the file's header."""
    lib = _ggml()
    lib.gguf_init_from_file.restype = ctypes.c_void_p
    lib.gguf_init_from_file.argtypes = [ctypes.c_char_p, _GGUFInitParams]
    lib.gguf_free.argtypes = [ctypes.c_void_p]
    context = lib.gguf_init_from_file(str(path).encode(), _GGUFInitParams(True, None))
    if context:
        lib.gguf_free(context)
    return bool(context)


def _reads(path: Path) -> bool:
    try:
        read_header(path)
    except GGUFError:
        return False
    return True


# Changes that leave a loadable file: nothing here may refuse them.
BENIGN: dict[str, Craft] = {
    "as-it-is": lambda g: ({}, None),
    "alignment-64": lambda g: ({g.kvs["general.file_type"].start + 8: b"general.alignment",
                                g.kvs["general.file_type"].value_at: u32(64)}, None),
    "other-name": lambda g: ({g.kvs["general.name"].value_at + 8: b"X"}, None),
}


@pytest.mark.model
@pytest.mark.parametrize("case", [*BENIGN, *(c for c, (_, reason) in HOSTILE.items()
                                             if "incomplete download" not in reason)])
def test_the_header_check_agrees_with_llama_cpp(case: str, smollm2_path: Path,
                                                smol_layout: Layout, tmp_path: Path) -> None:
    """Header damage, the file keeping its length: what llama.cpp's own GGUF reader refuses is
    refused here first (so it never reaches llama.cpp), and what it takes is taken here too (so
    no loadable model is refused). The one exception is data past the end of the file, which
    llama.cpp's model loader refuses later, not its GGUF reader."""
    craft = BENIGN[case] if case in BENIGN else HOSTILE[case][0]
    patches, length = craft(smol_layout)
    path = crafted(smollm2_path, tmp_path / f"{case}.gguf", patches, length)
    ours = _reads(path)
    assert ours == (case in BENIGN)
    if case == "last-tensor-past-the-end":
        assert _ggml_reads(path)
    else:
        assert _ggml_reads(path) == ours
