"""argparse's own words ("usage: ", "options", "the following arguments are required: %s"),
said in Lamplight's language.

argparse asks gettext for each of its messages through its module globals `_` and `ngettext`;
`speak_in_argparse` points those at our catalog. The msgids below are argparse's own, exactly
as Python 3.11's argparse.py writes them, listed here so that Babel extracts them into our
catalog (argparse's words that `lamplight` can never print are left out).
"""

from __future__ import annotations

import argparse

from app.i18n import N_, _, ngettext

ARGPARSE_MESSAGES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("unexpected option string: %s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("%(prog)s: error: %(message)s\n"),
)


def _argparse_plurals(n: int) -> str:
    """Only for Babel: argparse's one message with a count, as it asks for it."""
    return ngettext("expected %s argument", "expected %s arguments", n)


def speak_in_argparse() -> None:
    """argparse's messages from our catalog from now on (in the language `set_language`
    chose). Call it before building a parser: its headings are looked up then."""
    setattr(argparse, "_", _)  # noqa: B010 (argparse reads these module globals at each use)
    setattr(argparse, "ngettext", ngettext)  # noqa: B010
