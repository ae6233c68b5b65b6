"""Facts about this machine that choose engine defaults."""

from __future__ import annotations

import os

import psutil


def physical_cores() -> int:
    """Physical CPU cores: llama.cpp runs fastest with one thread per core, not per hyperthread."""
    return psutil.cpu_count(logical=False) or os.cpu_count() or 1


def total_ram_bytes() -> int:
    return int(psutil.virtual_memory().total)
