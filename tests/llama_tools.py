"""llama.cpp's own programs (`llama-server`, `llama-batched-bench`, `llama-batched`), built
from the llama.cpp source that the installed llama-cpp-python's sdist vendors: the same commit
as the in-process engine, so a test against `llama-server` compares like with like.

The sdist comes through pip (its index or cache, as the wheel did), is built once with CMake,
and the programs are kept in a cache folder keyed by the version, as pip keeps the wheel:
`python -m tests.llama_tools` builds them (about 6 minutes on 2 cores) or says where they are.
`scripts/check` runs it before the tests, so no test waits on a build.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path

PROGRAMS = ("llama-server", "llama-batched-bench", "llama-batched")
DISTRIBUTION = "llama-cpp-python"


def version() -> str:
    return metadata.version(DISTRIBUTION)


def cache_dir() -> Path:
    chosen = os.environ.get("LAMPLIGHT_TOOLS_CACHE")
    base = Path(chosen) if chosen else Path(
        os.environ.get("XDG_CACHE_HOME") or Path("~/.cache").expanduser()) / "lamplight-dev"
    return base / f"llama.cpp-{version()}"


def program(name: str) -> Path | None:
    """The built program `name`, or None when it has not been built (see `build`)."""
    path = cache_dir() / "bin" / name
    return path if path.is_file() and os.access(path, os.X_OK) else None


def missing_reason() -> str:
    return (f"llama.cpp's programs are not built for llama-cpp-python {version()}: run "
            f"'.venv/bin/python -m tests.llama_tools' (scripts/check does)")


def build(jobs: int | None = None, quiet: bool = False) -> Path:
    """Build those of `PROGRAMS` that are not in the cache yet; returns their folder."""
    target = cache_dir()
    target.mkdir(parents=True, exist_ok=True)
    with (target / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two checks at once build it once
        missing = [name for name in PROGRAMS if program(name) is None]
        if not missing:
            return target / "bin"
        with tempfile.TemporaryDirectory(prefix="llama-tools-") as tmp:
            work = Path(tmp)
            source = _sdist_source(work, quiet)
            build_dir = work / "build"
            out = None if not quiet else subprocess.DEVNULL
            subprocess.run(
                ["cmake", "-S", str(source), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
                 "-DLLAMA_CURL=OFF", "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_SERVER=ON",
                 "-DLLAMA_BUILD_EXAMPLES=ON", "-DLLAMA_BUILD_TOOLS=ON", "-DBUILD_SHARED_LIBS=OFF"],
                check=True, stdout=out)
            subprocess.run(
                ["cmake", "--build", str(build_dir), "--config", "Release",
                 "-j", str(jobs or os.cpu_count() or 2), "--target", *missing],
                check=True, stdout=out)
            bin_dir = target / "bin"
            bin_dir.mkdir(exist_ok=True)
            for name in missing:
                shutil.copy2(build_dir / "bin" / name, bin_dir / name)
        return target / "bin"


def _sdist_source(work: Path, quiet: bool) -> Path:
    """llama.cpp's source tree from the sdist of the installed llama-cpp-python version."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
         f"{DISTRIBUTION}=={version()}", "-d", str(work)],
        check=True, stdout=subprocess.DEVNULL if quiet else None)
    archive = next(work.glob("llama_cpp_python-*.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(work, filter="data")
    return next(work.glob("llama_cpp_python-*/vendor/llama.cpp"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-j", "--jobs", type=int, default=None)
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args()
    folder = build(args.jobs, args.quiet)
    print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
