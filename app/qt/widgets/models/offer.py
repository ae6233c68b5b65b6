"""A file that can be downloaded: a catalog entry's, or one a search found."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.core.models import hub
from app.core.models.download import install_path


@dataclass(frozen=True)
class Offer:
    """A file that can be downloaded: a catalog entry's, or one found by a search.

    `remote` is None for a catalog entry until its source is asked for the file's commit and
    hash. `repo` is the repo on the source chosen; `alternates` are the entry's repos on the
    other sources (the hub's and ModelScope's may differ), where the same file may already be
    installed or be downloading.
    """

    repo: str
    filename: str
    size: int
    remote: hub.RemoteFile | None
    alternates: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.repo}/{self.filename}"

    @property
    def keys(self) -> tuple[str, ...]:
        """`repo/file` on every source: `key` first."""
        return tuple(dict.fromkeys(f"{repo}/{self.filename}"
                                   for repo in (self.repo, *self.alternates)))

    def target(self, models_dir: Path) -> Path | None:
        """Where it is installed; None for a name that would leave the models folder."""
        try:
            return install_path(models_dir, self.repo, self.filename)
        except hub.HubError:
            return None

    def is_installed(self, models_dir: Path) -> bool:
        """Whether the file is installed, from this source or another."""
        for repo in (self.repo, *self.alternates):
            try:
                if install_path(models_dir, repo, self.filename).is_file():
                    return True
            except hub.HubError:
                continue
        return False
