"""A file that can be downloaded: a catalog entry's, or one a hub search found."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.core.models import hub
from app.core.models.download import install_path


@dataclass(frozen=True)
class Offer:
    """A file that can be downloaded: a catalog entry's, or one found by a search.

    `remote` is None for a catalog entry until the hub is asked for the file's commit and hash.
    """

    repo: str
    filename: str
    size: int
    remote: hub.RemoteFile | None

    @property
    def key(self) -> str:
        return f"{self.repo}/{self.filename}"

    def target(self, models_dir: Path) -> Path | None:
        """Where it is installed; None for a name that would leave the models folder."""
        try:
            return install_path(models_dir, self.repo, self.filename)
        except hub.HubError:
            return None

    def is_installed(self, models_dir: Path) -> bool:
        target = self.target(models_dir)
        return target is not None and target.is_file()
