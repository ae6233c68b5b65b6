"""Run `lamplight` with its data folder on a disk that is full: a small tmpfs mounted in a
user and mount namespace of the test's own (`unshare --user --map-root-user --mount`), so no
privilege is needed and nothing outside the test sees the mount.

The data folder given is copied onto the tmpfs, the rest of the tmpfs is filled (up to
`leave_bytes`), then the commands run one after another in the same mount, and the data folder
is copied back out so the test can look at what was written.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

_DRIVER = r"""
import json, os, shutil, subprocess, sys
spec = json.loads(sys.argv[1])
mount = spec["mount"]
subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={spec['size']}", "tmpfs", mount],
               check=True)
data = os.path.join(mount, "lamplight")
if os.path.isdir(spec["seed"]):
    shutil.copytree(spec["seed"], data)
else:
    os.mkdir(data)
free = os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize
with open(os.path.join(mount, "filler"), "wb") as filler:
    try:
        filler.write(b"\0" * max(0, free - spec["leave"]))
    except OSError:
        pass
results = []
for command in spec["commands"]:
    done = subprocess.run([sys.executable, "-m", "app", "--data-dir", data, *command],
                          capture_output=True, text=True, timeout=spec["timeout"],
                          cwd=spec["cwd"], env=spec["env"])
    results.append({"returncode": done.returncode, "stdout": done.stdout,
                    "stderr": done.stderr})
shutil.rmtree(spec["out"], ignore_errors=True)
shutil.copytree(data, spec["out"])
print(json.dumps(results))
"""


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


def full_disk_run(tmp_path: Path, commands: list[list[str]], *, seed: Path | None = None,
                  size: str = "8m", leave_bytes: int = 0,
                  timeout_s: int = 300) -> tuple[list[Done], Path]:
    """Run each `lamplight` command (its arguments after `--data-dir DIR`) with DIR on a full
    tmpfs holding a copy of `seed`; returns the results and a copy of DIR afterwards."""
    if shutil.which("unshare") is None:
        pytest.skip("needs util-linux's unshare (Linux) to mount a small disk")
    mount = tmp_path / "full-disk"
    mount.mkdir()
    out = tmp_path / "after-full-disk"
    env = {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}
    spec = {"mount": str(mount), "size": size, "seed": str(seed or ""), "leave": leave_bytes,
            "commands": commands, "timeout": timeout_s, "out": str(out),
            "cwd": str(Path(__file__).resolve().parent.parent), "env": env}
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", sys.executable, "-c", _DRIVER,
         json.dumps(spec)], capture_output=True, text=True, timeout=timeout_s * len(commands) + 60,
        check=False)
    assert done.returncode == 0, done.stderr
    return [Done(**r) for r in json.loads(done.stdout)], out
