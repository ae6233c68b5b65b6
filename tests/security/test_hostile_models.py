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

from app.core.engine.gguf import GGML_TYPES, GGUFError, read_header
from app.core.models import hub as hub_mod
from app.core.models.download import Download, install_path, target_path
from app.core.models.library import LibraryError, import_model, list_models
from tests.gguffiles import Layout, crafted, layout, u32, u64
from tests.hubstandin import HubStandIn
from tests.unprivileged import without_read_override

TIMEOUT_S = 300
REPO = "lamplight-test/SmolLM2-135M-Instruct-GGUF"
FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


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

def lamplight(data_dir: Path, *args: str,
              prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}
    return subprocess.run([*prefix, sys.executable, "-m", "app", "--data-dir", str(data_dir),
                           *args], input="hello\n", capture_output=True, text=True, env=env,
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
def test_names_and_header_text_reach_the_terminal_escaped(smollm2_path: Path,
                                                          smol_layout: Layout,
                                                          tmp_path: Path) -> None:
    """A model's file name and the text in its header are the file's: an escape sequence in
    them is shown, never sent to the terminal."""
    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    name = smol_layout.kvs["general.name"]
    crafted(smollm2_path, data / "models" / "evil\x1b]0;pwned\x07.gguf",
            {name.value_at + 8: b"\x1b[2J"})
    listed = lamplight(data, "models", "list")
    assert listed.returncode == 0, listed.stderr
    assert "\x1b" not in listed.stdout
    assert "evil\\x1b]0;pwned\\x07" in listed.stdout
    info = lamplight(data, "models", "info", "evil\x1b]0;pwned\x07")
    assert info.returncode == 0, info.stderr
    assert "\x1b" not in info.stdout and "\x07" not in info.stdout
    assert "model:\t\\x1b[2J" in info.stdout


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
@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_info_on_an_unreadable_file_gives_one_line(smollm2_path: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked.gguf"
    locked.write_bytes(smollm2_path.read_bytes()[:4096])
    locked.chmod(0)
    assert "Permission denied" in one_line_error(
        lamplight(tmp_path / "data", "models", "info", str(locked),
                  prefix=tuple(without_read_override())))


@pytest.mark.qt
def test_one_bad_file_marks_only_its_row_on_the_models_page(  # type: ignore[no-untyped-def]
        qtbot, paths, smollm2_path: Path, smol_layout: Layout) -> None:
    from PySide6.QtWidgets import QTreeWidgetItem

    from app.qt.widgets.models.installed_list import InstalledList
    from app.qt.widgets.models.trees import OBJECT_ROLE

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


# -- hub file names and repo ids -----------------------------------------------------------

@pytest.mark.parametrize("name", [
    "/etc/cron.d/evil.gguf", "//server/share/x.gguf", "C:/Windows/x.gguf", "C:x.gguf",
    "\\\\server\\share\\x.gguf", "..\\..\\x.gguf", "a\\..\\..\\x.gguf", "../x.gguf",
    "a/../../x.gguf", "a//x.gguf", "./x.gguf", "x\x00.gguf", "x" * 300 + ".gguf",
    "a/" * 300 + "x.gguf", "",
])
def test_a_hub_file_name_never_leaves_the_models_folder(name: str, tmp_path: Path) -> None:
    models_dir = tmp_path / "models"
    with pytest.raises(hub_mod.HubError):
        install_path(models_dir, REPO, name)
    with pytest.raises(hub_mod.HubError):
        hub_mod.RemoteFile(REPO, name, 1, None, "0" * 40)


def test_an_absolute_name_in_an_old_remote_file_stays_out(tmp_path: Path) -> None:
    """The probe of the issue, as `target_path` got it: the name dropped the folder."""
    outside = tmp_path / "outside" / "evil.gguf"
    with pytest.raises(hub_mod.HubError):
        target_path(tmp_path / "models", hub_mod.RemoteFile(REPO, str(outside), 1, None, "0" * 40))


@pytest.mark.parametrize("repo", [
    "owner/..", "../owner", "owner/../x", "owner/a..b", "owner/a--b", "owner", "a/b/c",
    "/owner/name", "owner/name/", "owner/na me", "owner/näme", "owner/-name", "owner/name.",
    "owner/name.git", "C:/name", "owner\\name", "o" * 97 + "/name", "owner/" + "n" * 97, "",
    "owner/name\n",
])
def test_a_bad_repo_id_is_one_line_before_the_client_sees_it(repo: str, tmp_path: Path,
                                                             hub: HubStandIn) -> None:
    with pytest.raises(hub_mod.InvalidRepoError) as refused:
        hub_mod.repo_files(repo)
    assert "\n" not in str(refused.value)
    with pytest.raises(hub_mod.HubError):
        install_path(tmp_path, repo, "x.gguf")
    assert hub.requests == []  # refused here, not by the hub


@pytest.mark.parametrize("repo", ["owner/name", "bartowski/Llama-3.2-1B-Instruct-GGUF",
                                  "Qwen/Qwen2.5-0.5B-Instruct-GGUF", "a_b/c.d_e-f", "o/n"])
def test_real_repo_ids_pass(repo: str) -> None:
    assert hub_mod.validate_repo_id(repo) == repo


def test_download_notes_on_disk_are_checked_like_the_hubs_answer(tmp_path: Path) -> None:
    import json

    models_dir = tmp_path / "models"
    good = {"repo": REPO, "filename": FILE, "size": 10, "sha256": "a" * 64, "revision": "b" * 40}
    folder = models_dir / "lamplight-test" / "SmolLM2-135M-Instruct-GGUF"
    folder.mkdir(parents=True)
    (folder / f"{FILE}.part.json").write_text(json.dumps(good))
    bad = {**good, "filename": str(tmp_path / "outside.gguf")}
    (folder / "outside.gguf.part.json").write_text(json.dumps(bad))
    # Each where its own file name says it should be, so only its content can refuse it.
    for i, change in enumerate(({"size": -1}, {"size": 2**70}, {"sha256": "z" * 64},
                                {"revision": "main/../../x"}, {"size": "many"})):
        name = f"x{i}.gguf"
        (folder / f"{name}.part.json").write_text(json.dumps({**good, "filename": name,
                                                              **change}))
    os.mkfifo(folder / "pipe.gguf.part.json")  # must not block the listing
    assert [d.remote for d in Download.pending(models_dir)] == [
        hub_mod.RemoteFile.from_json(good)]


# -- hostile hub answers, through the real client ------------------------------------------

@pytest.fixture
def served(hub: HubStandIn, smollm2_path: Path) -> HubStandIn:
    hub.add_repo(REPO, downloads=10)
    hub.add_file(REPO, FILE, smollm2_path)
    return hub


def _edit_siblings(edit: Callable[[dict[str, Any]], None]) -> Callable[[Any], Any]:
    def rewrite(info: Any) -> Any:
        for sibling in info["siblings"]:
            if sibling["rfilename"] == FILE:
                edit(sibling)
        return info
    return rewrite


@pytest.mark.parametrize(("edit", "reason"), [
    (lambda s: s["lfs"].update(size=-1), "impossible size"),
    (lambda s: s["lfs"].update(size=2**70), "impossible size"),
    (lambda s: s["lfs"].update(size="big"), "impossible size"),
    (lambda s: s["lfs"].update(sha256="not hex at all, not even close, but sixty-four c"),
     "not a SHA-256"),
    (lambda s: s["lfs"].update(sha256="g" * 64), "not a SHA-256"),
    (lambda s: s.update(rfilename="/tmp/" + FILE), "stays in the models folder"),
    (lambda s: s.update(rfilename="x" * 5000 + ".gguf"), "longer than any real one"),
], ids=["negative-size", "size-2^70", "size-text", "sha-not-hex", "sha-g", "absolute-name",
        "long-name"])
def test_a_file_the_hub_describes_impossibly_is_left_out(
        served: HubStandIn, edit: Callable[[dict[str, Any]], None], reason: str) -> None:
    served.add_file(REPO, "other.Q8_0.gguf", b"GGUF")
    served.rewrite("info", _edit_siblings(edit))
    files = hub_mod.repo_files(REPO)
    assert [f.filename for f in files.files] == ["other.Q8_0.gguf"]  # the rest still listed
    assert len(files.refused) == 1
    assert reason in next(iter(files.refused.values()))


@pytest.mark.parametrize("commit", ["main/../../x", "a" * 39, "A" * 40, None, 42])
def test_a_commit_id_that_is_not_one_refuses_the_answer(served: HubStandIn,
                                                        commit: object) -> None:
    served.rewrite("info", lambda info: info | {"sha": commit})
    with pytest.raises(hub_mod.HubError, match="commit id"):
        hub_mod.repo_files(REPO)


def test_an_answer_the_client_cannot_read_is_one_line(served: HubStandIn) -> None:
    served.rewrite("info", lambda info: info | {"siblings": [{"rfilename": 7, "lfs": "x"}]})
    with pytest.raises(hub_mod.HubError) as refused:
        hub_mod.repo_files(REPO)
    assert "\n" not in str(refused.value)


def test_search_results_are_bounded_and_checked(served: HubStandIn) -> None:
    def flood(found: Any) -> Any:
        good = found[0]
        hostile = [good | {"id": repo} for repo in
                   ("../../etc", "owner/..", "x" * 5000 + "/y", None, 7)]
        numbers = good | {"id": "other/huge", "downloads": 2**70, "likes": -5}
        return hostile + [numbers] + [good | {"id": f"flood/r{i}"} for i in range(5000)]

    served.rewrite("search", flood)
    found = hub_mod.search("smollm2", limit=20)
    assert len(found) <= 20
    assert found[0].repo == "other/huge"  # the hostile ids were left out
    assert found[0].downloads == 10**15 and found[0].likes == 0
    assert all(r.repo.startswith(("other/", "flood/")) for r in found)
    assert len(hub_mod.search("smollm2", limit=10**9)) <= hub_mod.MAX_RESULTS


@pytest.mark.integration
def test_pull_of_an_absolute_hub_name_writes_nothing_outside(served: HubStandIn,
                                                             smollm2_path: Path,
                                                             tmp_path: Path) -> None:
    outside = tmp_path / "outside" / "evil.gguf"
    served.add_file(REPO, str(outside), smollm2_path)
    done = lamplight(tmp_path / "data", "models", "pull", REPO, str(outside))
    assert "stays in the models folder" in one_line_error(done, code=1)
    assert not outside.exists()
    assert not outside.parent.exists()


@pytest.mark.integration
@pytest.mark.parametrize("repo", ["owner/..", "owner/../../x", "a/b/c", "owner/na me"])
def test_pull_of_a_bad_repo_id_is_one_line(served: HubStandIn, tmp_path: Path,
                                           repo: str) -> None:
    assert "is not a hub repo id" in one_line_error(
        lamplight(tmp_path / "data", "models", "pull", repo))
    assert served.requests == []


@pytest.mark.integration
def test_search_files_leaves_out_hostile_repos_and_files(served: HubStandIn,
                                                         tmp_path: Path) -> None:
    served.rewrite("search", lambda found: [found[0] | {"id": "owner/../x"}, *found])
    served.add_file(REPO, "/abs/evil.gguf", b"GGUF")
    done = lamplight(tmp_path / "data", "models", "search", "smollm2", "--files")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.splitlines()[0].startswith(f"{REPO}\t")
    assert FILE in done.stdout
    assert "evil" not in done.stdout and "owner/../x" not in done.stdout


@pytest.mark.qt
def test_the_models_page_shows_no_hostile_repo_or_file(  # type: ignore[no-untyped-def]
        qtbot, served: HubStandIn) -> None:
    from app.qt.widgets.models.hub_search import HubSearch

    served.rewrite("search", lambda found: [found[0] | {"id": "owner/../x"}, *found])
    served.add_file(REPO, "/abs/evil.gguf", b"GGUF")
    search = HubSearch(4096, lambda offer: "")
    qtbot.addWidget(search)
    search.search_edit.setText("smollm2")
    search.search()
    qtbot.waitUntil(lambda: search.files.topLevelItemCount() > 0, timeout=30_000)
    assert [search.repos.topLevelItem(i).text(0)
            for i in range(search.repos.topLevelItemCount())] == [REPO]
    assert [search.files.topLevelItem(i).text(0)
            for i in range(search.files.topLevelItemCount())] == [FILE]

