"""`lamplight chats ...`: list, export, import, search and delete saved chats, through the chat
library.

Results go to stdout, one item per line; warnings go to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    chat_id,
    error,
    field,
    json_shown,
    shown,
    shown_line,
)
from app.core.chat.library import ChatLibrary
from app.core.chat.store import ConversationNotFoundError, ConversationStore, StoreError
from app.core.chat.transfer import ImportFormatError, iso_time
from app.core.times import local_datetime
from app.i18n import _
from app.paths import AppPaths

EXIT_NOT_FOUND = 1  # `search` without a match, as grep


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    chats = commands.add_parser("chats", parents=[common], help=_("saved chats"),
                                description=_("The chats 'lamplight chat' and the window "
                                              "saved."))
    sub = chats.add_subparsers(dest="chats_command", metavar="ACTION", required=True,
                               parser_class=type(chats))
    listing = sub.add_parser("list", parents=[common],
                             help=_("saved chats, newest first: ID, title, last change"))
    listing.add_argument("--json", action="store_true",
                         help=_("one JSON list instead of lines"))
    export = sub.add_parser(
        "export", parents=[common], help=_("write chats as Markdown or JSON"),
        description=_("Markdown shows the chat as it is shown; JSON keeps every version of "
                      "every message and imports again (docs/conversation-json.md)."))
    export.add_argument("ids", nargs="*", type=chat_id, metavar="ID")
    export.add_argument("--all", action="store_true", help=_("every saved chat"))
    export.add_argument("--format", choices=("md", "json"), default="md",
                        help=_("md (default) or json"))
    export.add_argument("-o", "--output", metavar="FILE", help=_("write to FILE, not stdout"))
    imp = sub.add_parser("import", parents=[common], help=_("add the chats of a JSON export"),
                         description=_("Prints 'imported ID TITLE' for each new chat."))
    imp.add_argument("file", metavar="FILE",
                     help=_("a file 'chats export --format json' wrote"))
    search = sub.add_parser("search", parents=[common], help=_("messages containing words"),
                            description=_("Prints ID, title and the matching text of each "
                                          "message found; exits 1 when there is none."))
    search.add_argument("text", nargs="+", metavar="TEXT")
    rm = sub.add_parser("rm", parents=[common], help=_("delete chats for good"))
    rm.add_argument("ids", nargs="+", type=chat_id, metavar="ID")


def run(args: argparse.Namespace, paths: AppPaths) -> int:
    actions = {"list": _list, "export": _export, "import": _import, "search": _search,
               "rm": _rm}
    try:
        store = ConversationStore.open_in(paths.data_dir)
    except StoreError as exc:
        error(exc)
        return EXIT_FAILURE
    try:
        return actions[args.chats_command](args, ChatLibrary(store, paths.states_dir))
    except (ConversationNotFoundError, ImportFormatError) as exc:
        raise UsageError(str(exc)) from None
    except StoreError as exc:
        error(exc)
        return EXIT_FAILURE
    finally:
        store.close()


def _list(args: argparse.Namespace, library: ChatLibrary) -> int:
    chats = library.chats()
    if args.json:
        print(json_shown(json.dumps(
            [{"id": c.id, "title": c.title, "created_at": iso_time(c.created_at),
              "updated_at": iso_time(c.updated_at), "model": c.model,
              "messages": c.message_count} for c in chats], indent=2, ensure_ascii=False)))
        return EXIT_OK
    for chat in chats:
        print(f"{chat.id}\t{field(chat.title)}\t{_local_minute(chat.updated_at)}")
    if not chats:  # not a failure (as `ls` of an empty folder); on stderr, as `models list`
        print(_("No saved chats yet (the window and 'lamplight chat' save each chat)."),
              file=sys.stderr)
    return EXIT_OK


def _local_minute(timestamp: float) -> str:
    return local_datetime(timestamp).strftime("%Y-%m-%d %H:%M")


def _export(args: argparse.Namespace, library: ChatLibrary) -> int:
    if args.all and args.ids:
        raise UsageError(_("give the IDs of chats to export or --all, not both"))
    if not args.all and not args.ids:
        raise UsageError(_("which chats? Give their IDs ('lamplight chats list') or --all"))
    ids = [c.id for c in library.chats()] if args.all else args.ids
    if args.output is None:
        text = library.export_text(ids, args.format)
        # Data to a file or a pipe; on a terminal, the chats' escape sequences stay text.
        sys.stdout.write(shown(text) if sys.stdout.isatty() else text)
        return EXIT_OK
    try:
        library.export(ids, args.format, Path(args.output))
    except OSError as exc:
        raise UsageError(_("cannot write {path}: {reason}").format(
            path=args.output, reason=exc.strerror or exc)) from None
    return EXIT_OK


def _import(args: argparse.Namespace, library: ChatLibrary) -> int:
    for new_id, conversation in library.import_file(Path(args.file)):
        # Data on stdout, for scripts as for people: the same words in every language.
        print(f"imported {new_id} {field(conversation.title)}")
    return EXIT_OK


def _search(args: argparse.Namespace, library: ChatLibrary) -> int:
    text = " ".join(args.text)
    hits = library.search(text)
    for hit in hits:
        print(f"{hit.conversation_id}\t{field(hit.title)}\t{field(hit.marked())}")
    if not hits:
        print(_("No saved chat matches '{text}'.").format(text=shown_line(text)),
              file=sys.stderr)
        return EXIT_NOT_FOUND
    return EXIT_OK


def _rm(args: argparse.Namespace, library: ChatLibrary) -> int:
    # The terminal has no Undo: these are removed now, with their kept states. Chats a window
    # marked deleted stay marked, so its Undo still works.
    library.remove(args.ids)
    return EXIT_OK
