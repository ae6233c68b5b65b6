"""`lamplight models ...`: list, search, pull, rm, import and inspect GGUF models.

Results go to stdout, one item per line; progress and questions go to stderr. `search` and `pull`
ask the model source the settings choose (the Hugging Face Hub, a mirror of it, or ModelScope;
`app.model_source`), or the one `--source` (and `--mirror URL`) names; a paused pull resumes
from the source it started from unless another is named.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from app.cli.common import (
    DEFAULT_CTX,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    UsageError,
    error,
    field,
    load_settings,
    shown_line,
    warn,
)
from app.core.engine import fit
from app.core.engine.cancel import CancelToken
from app.core.engine.connection import remote_ref, split_ref
from app.core.engine.gguf import GGUFError, read_header
from app.core.models import browse, hub, names, sources
from app.core.models.catalog import CatalogEntry, find_entry, load_catalog
from app.core.models.download import Download, Progress, install_path
from app.core.models.library import (
    LibraryError,
    ModelEntry,
    ModelNotFoundError,
    delete_model,
    discover_models,
    import_model,
    list_models,
    remote_entry,
    resolve_model,
)
from app.core.settings.connections import ConnectionConfigError
from app.core.settings.resolve import parallel_count
from app.core.throttle import Throttle
from app.files import format_bytes
from app.i18n import _
from app.paths import AppPaths

if TYPE_CHECKING:
    from app.cli.remotes import Listing

# In a log, a slow download's progress line between its 10% steps: at most this often.
LOG_INTERVAL_S = 30
# Without a file named, `pull` takes the first of these the repo has.
PREFERRED_QUANTS = ("Q4_K_M", "Q4_K_S", "IQ4_XS", "Q4_0", "Q5_K_M", "Q3_K_L", "Q3_K_M", "Q6_K",
                    "Q8_0")


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    models = commands.add_parser("models", parents=[common],
                                 help=_("find, download and manage models"),
                                 description=_("Manage the models in the library."))
    sub = models.add_subparsers(dest="models_command", metavar=_("ACTION"), required=True,
                                parser_class=type(models))
    sub.add_parser("list", parents=[common],
                   help=_("installed models, then the models of each connection ('lamplight "
                          "remotes'), one per line"))
    catalog = sub.add_parser(
        "catalog", parents=[common], help=_("the curated models 'pull NAME' fetches, one per "
                                            "line"),
        description=_("The curated models, smallest first: name, parameters, quantization, "
                      "size, trained context, licence, the repo on the model source and what "
                      "the model is good at (in the app's language)."))
    _add_source_options(catalog)
    search = sub.add_parser("search", parents=[common],
                            help=_("GGUF repos on the hub (or the model source chosen)"))
    search.add_argument("query", metavar=_("QUERY"))
    search.add_argument("--files", action="store_true",
                        help=_("also list each repo's GGUF files"))
    search.add_argument("--limit", type=int, default=20, metavar="N")
    _add_source_options(search)
    pull = sub.add_parser(
        "pull", parents=[common], help=_("download a model from the hub (or the model source "
                                         "chosen)"),
        description=_("REPO is a repo (owner/name) or a catalog name. Without FILE: the "
                      "catalog's file, or the repo's Q4_K_M file (else the closest "
                      "quantization). A paused download resumes from the source it started "
                      "from, unless --source names another."))
    pull.add_argument("repo", metavar=_("REPO"))
    pull.add_argument("file", nargs="?", metavar=_("FILE"))
    _add_source_options(pull)
    rm = sub.add_parser("rm", parents=[common], help=_("delete a model"))
    rm.add_argument("name", metavar=_("NAME"))
    rm.add_argument("-y", "--yes", action="store_true", help=_("do not ask for confirmation"))
    imp = sub.add_parser(
        "import", parents=[common], help=_("add a .gguf file you already have"),
        description=_("Copy a .gguf file into the library (or reference it with --link). "
                      "Without PATH: list the models other apps keep on this machine."))
    imp.add_argument("path", nargs="?", metavar=_("PATH"))
    imp.add_argument("--link", action="store_true",
                     help=_("reference the file where it is instead of copying it"))
    info = sub.add_parser("info", parents=[common], help=_("a model's header metadata and fit"))
    info.add_argument("name", metavar=_("NAME|PATH"))
    info.add_argument("--ctx", type=int, default=DEFAULT_CTX, metavar="N",
                      help=_("context window for the memory estimate (default {n})").format(
                          n=DEFAULT_CTX))


def _add_source_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", choices=sources.KINDS, metavar=_("SOURCE"),
                        help=_("where to look: huggingface, mirror (a mirror of the hub, "
                               "--mirror) or modelscope; default: the Model source setting"))
    parser.add_argument("--mirror", metavar="URL",
                        help=_("the mirror's address, such as {example} (implies --source "
                               "mirror); default: the Mirror address setting").format(
                            example=sources.DEFAULT_MIRROR))


def run(args: argparse.Namespace, paths: AppPaths) -> int:
    actions = {"list": lambda: _list(paths), "catalog": lambda: _catalog(args, paths),
               "search": lambda: _search(args, paths),
               "pull": lambda: _pull(args, paths), "rm": lambda: _rm(args, paths),
               "import": lambda: _import(args, paths), "info": lambda: _info(args, paths)}
    try:
        return actions[args.models_command]()
    except (hub.NotFoundError, hub.InvalidRepoError, LibraryError, ModelNotFoundError,
            sources.InvalidSourceError) as exc:
        raise UsageError(str(exc)) from None
    except hub.HubError as exc:
        error(exc)
        return EXIT_FAILURE


def chosen_source(args: argparse.Namespace, paths: AppPaths) -> sources.Source | None:
    """The source `--source` and `--mirror` name (a mirror's address from the settings when
    only `--source mirror` is given), or None when neither is given."""
    kind, url = getattr(args, "source", None), getattr(args, "mirror", None)
    if kind is None and url is None:
        return None
    if url is not None and kind not in (None, sources.MIRROR):
        raise UsageError(_("--mirror goes with --source mirror, not --source {kind}.")
                         .format(kind=kind))
    kind = kind or sources.MIRROR
    settings = load_settings(paths)
    return sources.make(kind, url if url is not None else settings.get(sources.MIRROR_SETTING),
                        settings.get(sources.TOKEN_SETTING))


def source_of(args: argparse.Namespace, paths: AppPaths) -> sources.Source:
    """The source a command asks: the one named on the command line, else the settings'."""
    return chosen_source(args, paths) or sources.from_settings(load_settings(paths).get)


def source_options(source: sources.Source) -> str:
    """The options that name `source` on a command line: "" for the hub."""
    if source.kind == sources.MIRROR:
        return f" --source mirror --mirror {source.endpoint}"
    return "" if source.kind == sources.HUGGINGFACE else f" --source {source.kind}"


def _list(paths: AppPaths) -> int:
    from app.cli.remotes import Listing, load_connections  # HTTP is loaded when needed

    elsewhere = Listing(load_connections(paths))  # asked now, answered while the files are read
    entries = list_models(paths.models_dir)
    for entry in entries:
        # Names, header text and paths come from files and the hub: shown, never sent raw.
        described = _describe_file(entry.path)  # reads the header: the display name follows it
        print("\t".join([field(entry.name), field(entry.display_name), described,
                         field(_origin(entry))]))
    served = _list_elsewhere(elsewhere)
    if not entries and not served:  # on stderr: stdout stays one line per model for scripts
        print(_("No models yet. Download one with `lamplight models pull REPO`, or put a .gguf "
                "file in {folder}.").format(folder=paths.models_dir), file=sys.stderr)
    for download in Download.pending(paths.models_dir):
        remote = download.remote
        resume = (f"lamplight models pull {remote.repo} {field(remote.filename)}"
                  f"{source_options(remote.source)}")
        print(_("paused: {repo} {file} {percent}% (resume: {command})").format(
            repo=remote.repo, file=field(remote.filename),
            percent=f"{100 * download.done_bytes / max(remote.size, 1):.0f}", command=resume),
            file=sys.stderr)
    return EXIT_OK


def _list_elsewhere(listing: Listing) -> int:
    """The connections' models, in the local lines' columns (what a server does not say is
    "-"); a server that cannot be asked is one warning. Returns how many were listed."""
    served = 0
    for connection, found in listing.results():
        if isinstance(found, str):  # one server down never hides the others, nor these
            warn(found)
            continue
        for model in found:
            ref = remote_ref(model.id, connection.name)
            print("\t".join([field(ref), field(ref), "-\t-\t-", f"ctx {model.n_ctx or '?'}",
                             field(_("remote: {name} ({url})").format(
                                 name=connection.name, url=connection.url))]))
            served += 1
    return served


def _origin(entry: ModelEntry) -> str:
    if entry.builtin:
        return _("built-in")
    if entry.reference:
        return _("linked: {path}").format(path=entry.path)
    return entry.repo or str(entry.path)


def _describe_file(path: Path) -> str:
    try:
        header = read_header(path)
    except (GGUFError, OSError) as exc:
        return field(_("unreadable ({why})").format(why=exc))
    names.remember(path, header)
    quant = header.quantization or hub.quant_of(path.name) or "?"
    return (f"{_params(header.n_params)}\t{quant}\t{format_bytes(path.stat().st_size)}\t"
            f"ctx {header.context_length or '?'}")


def _params(n: int) -> str:
    return f"{n / 1e9:.1f}B" if n >= 1e9 else f"{n / 1e6:.0f}M"


def _catalog(args: argparse.Namespace, paths: AppPaths) -> int:
    kind = source_of(args, paths).kind
    for entry in load_catalog():
        repo = entry.repo_on(kind) or _("not on ModelScope")
        print("\t".join([entry.name, entry.params, entry.quant, format_bytes(entry.size_bytes),
                         f"ctx {entry.context_length}", entry.license, repo,
                         field(entry.shown_description())]))
    return EXIT_OK


def _search(args: argparse.Namespace, paths: AppPaths) -> int:
    source = source_of(args, paths)
    found = browse.search(args.query, source, limit=args.limit)
    if not found:
        print(_("No GGUF repos on {source} match '{query}'.").format(
            source=source.label, query=shown_line(args.query)), file=sys.stderr)
    for repo in found:
        gated = "\t" + _("gated") if repo.gated else ""
        print(f"{repo.repo}\t" + _("{n} downloads").format(n=repo.downloads) + "\t" +
              _("{n} likes").format(n=repo.likes) + gated)
        if args.files:
            for remote in browse.repo_files(repo.repo, source).files:
                print(f"  {field(remote.filename)}\t{remote.quant or '?'}\t"
                      f"{format_bytes(remote.size)}")
    return EXIT_OK


def _choose_file(repo: str, files: hub.RepoFiles) -> hub.RemoteFile:
    whole = [f for f in files.files if hub.split_parts(f.filename) == 1]
    if not files.files:
        raise hub.NotFoundError(_("{repo} has no GGUF files.").format(repo=repo))
    if not whole:
        raise hub.NotFoundError(_("{repo} has only split GGUF files, which are not supported "
                                  "yet.").format(repo=repo))
    for quant in PREFERRED_QUANTS:
        for remote in whole:
            if remote.quant == quant:
                return remote
    return min(whole, key=lambda f: f.size)


def resolve_pull(repo_or_name: str, filename: str | None,
                 kind: str = sources.HUGGINGFACE) -> tuple[str, str | None]:
    """The repo and file a `pull` argument means on a source of this `kind`: a catalog name
    gives both (its ModelScope repo on ModelScope, where it has one)."""
    entry: CatalogEntry | None = find_entry(load_catalog(), repo_or_name)
    if entry is not None and filename is None:
        repo = entry.repo_on(kind)
        if repo is None:
            raise UsageError(_("{name} is not on ModelScope: pull it with --source huggingface "
                               "or --source mirror.").format(name=entry.name))
        return repo, entry.file
    if "/" not in repo_or_name:
        raise UsageError(_("{name} is neither a catalog name nor a repo (owner/name). See "
                           "'lamplight models search'.").format(name=repr(repo_or_name[:120])))
    return hub.validate_repo_id(repo_or_name), filename


def _paused(paths: AppPaths, repo: str, filename: str | None) -> Download | None:
    """The paused download of `filename` of `repo`, if there is one."""
    if filename is None:
        return None
    return next((d for d in Download.pending(paths.models_dir)
                 if d.remote.repo == repo and d.remote.filename == filename), None)


def _pull(args: argparse.Namespace, paths: AppPaths) -> int:
    named = chosen_source(args, paths)
    source = named or sources.from_settings(load_settings(paths).get)
    repo, filename = resolve_pull(args.repo, args.file, source.kind)
    paused = _paused(paths, repo, filename) if named is None else None
    if paused is not None and paused.remote.source != source:
        source = paused.remote.source  # resumed from where it started
        print(_("Resuming from {source}, where this download started.").format(
            source=source.label), file=sys.stderr)
    files = browse.repo_files(repo, source)
    if filename is None:
        remote = _choose_file(repo, files)
    else:
        found = files.find(filename)
        if found is None and filename in files.refused:
            raise hub.UntrustedAnswerError(f"{repo}: {files.refused[filename]}.")
        if found is None:
            names = ", ".join(f.filename for f in files.files[:8]) or _("none")
            raise hub.NotFoundError(_("{repo} has no GGUF file named {file} (its GGUF files: "
                                      "{files}).").format(repo=repo, file=filename,
                                                          files=names))
        if hub.split_parts(found.filename) > 1:
            raise hub.NotFoundError(_("{file} is one part of a split GGUF; split models are "
                                      "not supported yet.").format(file=filename))
        remote = found
    download = Download(paths.models_dir, remote)
    if download.path.is_file():
        print(_("{file} from {repo} is already installed.").format(
            file=field(remote.filename), repo=repo), file=sys.stderr)
        print(field(download.path.stem))
        return EXIT_OK
    estimate = fit.estimate(fit.Shape.from_size(remote.size),
                            DEFAULT_CTX)
    print(_("Downloading {file} from {repo} on {source} ({size}; {fit}).").format(
        file=field(remote.filename), repo=repo, source=source.label,
        size=format_bytes(remote.size), fit=estimate.describe()), file=sys.stderr)
    if estimate.verdict is fit.Verdict.TOO_BIG:
        print(_("Warning: this model is likely too big for this machine's free memory."),
              file=sys.stderr)
    try:  # Ctrl+C unwinds run() where it is; the part and its note stay for a resume
        path = download.run(CancelToken(), ProgressLine(remote.filename, sys.stderr))
    except KeyboardInterrupt:
        print("\n" + _("Paused at {size}; run the same command to resume.").format(
            size=format_bytes(download.done_bytes)), file=sys.stderr)
        return EXIT_INTERRUPTED
    print(_("Installed and verified (SHA-256): {path}").format(path=field(str(path))),
          file=sys.stderr)
    print(field(path.stem))
    return EXIT_OK


class ProgressLine:
    """Download progress on stderr: one line rewritten in place on a terminal; a line per 10%
    (or per 30 seconds) when stderr is a file or a pipe, so logs stay short."""

    def __init__(self, name: str, stream: TextIO) -> None:
        self.name = field(name)
        self.stream = stream
        self.tty = stream.isatty()
        self._line = ""
        self._last_step = -1
        self._logged = Throttle(self._log_line, LOG_INTERVAL_S)

    def __call__(self, p: Progress) -> None:
        speed = f"{format_bytes(p.speed)}/s" if p.speed else "…"
        eta = _("ETA {time}").format(time=_duration(p.eta_s)) if p.eta_s is not None else ""
        line = (f"{self.name}  {100 * p.fraction:5.1f}%  {format_bytes(p.done)} / "
                f"{format_bytes(p.total)}  {speed}  {eta}")
        if self.tty:
            end = "\n" if p.done >= p.total else ""
            self.stream.write(f"\r{line:<100}{end}")
            self.stream.flush()
            return
        self._line = line
        step = int(10 * p.fraction)
        if step != self._last_step:
            self._last_step = step
            self._logged.now()
        else:
            self._logged()

    def _log_line(self) -> None:
        self.stream.write(self._line + "\n")
        self.stream.flush()


def _duration(seconds: float) -> str:
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


def _rm(args: argparse.Namespace, paths: AppPaths) -> int:
    entry = resolve_installed(args.name, paths)
    if not entry.builtin and not _in_library(entry, paths):
        raise UsageError(_("'{name}' is not a model in the library.").format(name=args.name))
    what = (_("Forget {name} (the file {path} stays)").format(
                name=field(entry.name), path=field(str(entry.path)))
            if entry.reference else
            _("Delete {name} ({size})").format(name=field(entry.name),
                                               size=format_bytes(entry.size_bytes)))
    if not args.yes and sys.stdin.isatty():
        answer = input(_("{what}? [y/N] ").format(what=what))
        # "y" and "yes" always do, whatever the language; a translation may add its own word
        if answer.strip().lower() not in ("y", "yes", _("y"), _("yes")):
            print(_("Nothing deleted."), file=sys.stderr)
            return EXIT_OK
    delete_model(paths.models_dir, entry)
    done = _("Forgot {name}.") if entry.reference else _("Deleted {name}.")
    print(done.format(name=field(entry.name)), file=sys.stderr)
    return EXIT_OK


def resolve_any(name: str, paths: AppPaths) -> ModelEntry:
    """The model `--model` names: `MODEL@CONNECTION` for a model of a connection
    (`lamplight remotes`), else an installed model (`resolve_installed`); a file, or an
    installed model with an "@" in its name, is still found. Raises `UsageError`."""
    from app.cli.remotes import load_connections

    parts = split_ref(name)
    try:
        if parts is None or _is_file(name):
            return resolve_installed(name, paths)
        connections = load_connections(paths)
        if connections.get(parts[1]) is None:  # perhaps a local model with "@" in its name
            try:
                return resolve_installed(name, paths)
            except ModelNotFoundError:
                raise UsageError(connections.unknown(parts[1])) from None
        target = connections.target(name)
    except (ModelNotFoundError, ConnectionConfigError) as exc:
        raise UsageError(str(exc)) from None
    if target is None:  # pragma: no cover - `name` is of the form, as split_ref said
        raise UsageError(_("'{name}' is not a model").format(name=shown_line(name[:200])))
    return remote_entry(target)


def saved_model(saved: str | None, paths: AppPaths) -> ModelEntry | None:
    """A continued chat's own model while it can still be used: its file, or its model of a
    connection that is still there; else None (another model answers: for a connection gone,
    a warning says so)."""
    from app.cli.remotes import load_connections

    if not saved:
        return None
    if _is_file(saved):
        try:
            return resolve_installed(saved, paths)
        except ModelNotFoundError:
            return None
    parts = split_ref(saved)
    if parts is None:
        return None
    connections = load_connections(paths)
    if connections.get(parts[1]) is None:
        warn(_("this chat's model {model} is gone with its connection '{connection}'; another "
               "model answers (choose one with --model)").format(model=saved,
                                                                 connection=parts[1]))
        return None
    target = connections.target(saved)
    return remote_entry(target) if target is not None else None


def _is_file(text: str) -> bool:
    """Whether `text` names a file; a name no file can have (too long, a NUL) names none."""
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


def resolve_installed(name: str, paths: AppPaths) -> ModelEntry:
    """A model by a name `models list` shows, a path, or the catalog name it was pulled by;
    its header read for its display name (saved with each answer, as the window saves it)."""
    entry = _resolve(name, paths)
    names.learn([entry.path])
    return entry


def _resolve(name: str, paths: AppPaths) -> ModelEntry:
    try:
        return resolve_model(name, paths.models_dir)
    except ModelNotFoundError:
        entry = find_entry(load_catalog(), name)
        if entry is None:
            raise
        try:  # from the hub or from ModelScope, whichever it came from
            paths_ = [install_path(paths.models_dir, repo, entry.file)
                      for repo in (entry.repo, entry.modelscope_repo) if repo]
        except hub.HubError as exc:
            raise ModelNotFoundError(_("The catalog's '{name}' cannot be used: {why}").format(
                name=name, why=exc)) from None
        path = next((p for p in paths_ if p.is_file()), None)
        if path is None:
            raise ModelNotFoundError(_("'{name}' is in the catalog but not installed: run "
                                       "'lamplight models pull {entry}'.").format(
                name=name, entry=entry.name)) from None
        return resolve_model(str(path), paths.models_dir)


def _in_library(entry: ModelEntry, paths: AppPaths) -> bool:
    return any(e.path == entry.path for e in list_models(paths.models_dir))


def _import(args: argparse.Namespace, paths: AppPaths) -> int:
    if args.path is None:
        found = discover_models(paths.models_dir)
        if not found:
            print(_("No GGUF models found in the usual places of other apps."),
                  file=sys.stderr)
        for where, path in found:
            print(f"{field(str(path))}\t{where}")
        return EXIT_OK
    entry = import_model(paths.models_dir, Path(args.path), copy=not args.link)
    print(_("Imported as '{name}'.").format(name=field(entry.name)), file=sys.stderr)
    print(field(entry.name))
    return EXIT_OK


def _info(args: argparse.Namespace, paths: AppPaths) -> int:
    entry = resolve_installed(args.name, paths)
    try:
        header = read_header(entry.path)
        size = entry.path.stat().st_size
        names.remember(entry.path, header)
    except GGUFError as exc:
        raise UsageError(f"{entry.path.name}: {exc}") from None
    except OSError as exc:  # permission denied, or gone since it was listed
        raise UsageError(_("Cannot read {path}: {why}.").format(
            path=entry.path, why=exc.strerror or exc)) from None
    template = _("yes") if header.chat_template else \
        _("no (a format is guessed from the architecture)")
    # The field names stay as they are in every language: scripts read them.
    rows = [
        ("name", entry.name),
        ("display name", entry.display_name),
        ("path", str(entry.path)),
        ("model", header.name or "?"),
        ("family", header.family),
        ("architecture", header.architecture),
        ("parameters", f"{_params(header.n_params)} ({header.n_params:,})"),
        ("quantization", header.quantization or hub.quant_of(entry.path.name) or "?"),
        ("file size", format_bytes(size)),
        ("context length", str(header.context_length or "?")),
        ("layers", str(header.n_layers or "?")),
        ("chat template", template),
        ("license", str(header.metadata.get("general.license", "?"))[:200]),
        ("fit", fit.estimate(fit.Shape.from_header(header, size), args.ctx).describe()),
        # What `lamplight serve` makes room for: a KV cache for each request answered at once.
        ("fit, serving", fit.estimate(fit.Shape.from_header(header, size), args.ctx,
                                      n_seq=parallel_count(load_settings(paths),
                                                           "server.parallel")).describe()),
    ]
    for key, value in rows:
        print(f"{key}:\t{field(value)}")  # header text is the file's: shown, never sent
    return EXIT_OK
