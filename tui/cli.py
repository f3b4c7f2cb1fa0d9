"""The `calsync` entry point: parses the command line, runs headless commands through
`sync/`, serves the sandbox, or starts the Textual app (imported only then)."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sync.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE  # stdlib only: keeps start-up quick
from sync.polling import DEFAULT_INTERVAL

if TYPE_CHECKING:
    from sync.commands import Console

LIMIT_PLANS = ("off", "lite", "growth", "premium", "ultimate")


class Parser(argparse.ArgumentParser):
    """argparse, but bad usage is one line on stderr and exit 2 (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(
            f"calsync: {message} (see calsync {self.prog.split()[-1]} --help)\n"
            if " " in self.prog
            else f"calsync: {message} (see calsync --help)\n"
        )
        raise SystemExit(EXIT_USAGE)


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return value


def _port(text: str) -> int:
    value = _non_negative(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0-65535)")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 1 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"{text!r} must be from 1 to 86400 seconds")
    return value


def build_parser() -> Parser:
    parser = Parser(
        prog="calsync",
        description="Keep a Google Calendar and a Pipedrive user's activities in sync. "
        "With no command, starts the app.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    sb = sub.add_parser(
        "sandbox",
        help="serve the offline sandbox (fake Google + Pipedrive) on loopback",
        description="Serve fake Google OAuth, Google Calendar v3 and Pipedrive on loopback, "
        "with the admin routes under /_sandbox/.",
    )
    sb.add_argument(
        "--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)"
    )
    sb.add_argument(
        "--port", type=_port, default=8765, help="port (default 8765; 0 picks a free one)"
    )
    data = sb.add_mutually_exclusive_group()
    data.add_argument(
        "--seed",
        type=_non_negative,
        default=1,
        metavar="N",
        help="seed for the deterministic demo data (default 1)",
    )
    data.add_argument(
        "--empty",
        action="store_true",
        help="accounts, calendars and activity types only; no events or activities",
    )
    sb.add_argument(
        "--churn",
        type=_non_negative,
        default=0,
        metavar="PER_MIN",
        help="live edits per minute on both sides, for demos (default 0)",
    )
    sb.add_argument(
        "--limits",
        choices=LIMIT_PLANS,
        default="off",
        metavar="PLAN",
        help="enforce the real rate limits of a Pipedrive plan: " + ", ".join(LIMIT_PLANS),
    )

    co = sub.add_parser(
        "connect",
        help="add an account (the sandbox, or the real Google + Pipedrive)",
        description="Add an account: against a running sandbox (its OAuth consents at once), "
        "or the real services (Google sign-in in the browser, and a Pipedrive API token or "
        "Pipedrive sign-in through your Pipedrive OAuth app: set CALSYNC_PIPEDRIVE_CLIENT_ID and "
        "CALSYNC_PIPEDRIVE_CLIENT_SECRET, see docs/real-accounts.md). Give the API token as "
        "`--pipedrive-token -` (read from standard input) or in CALSYNC_PIPEDRIVE_TOKEN: "
        "a token written on the command line is visible to every user of the machine in `ps` "
        "for the whole sign-in.",
    )
    where = co.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--sandbox", metavar="URL", help="a running `calsync sandbox`, e.g. http://127.0.0.1:8765"
    )
    where.add_argument(
        "--google",
        metavar="CLIENT_SECRET.json",
        type=Path,
        help="a Google OAuth desktop client secret file (see docs/real-accounts.md)",
    )
    pd = co.add_mutually_exclusive_group()
    pd.add_argument(
        "--pipedrive-token",
        metavar="T",
        help="your Pipedrive personal API token; `-` reads it from standard input (recommended; "
        "or set CALSYNC_PIPEDRIVE_TOKEN): a value here shows in `ps` to every local user",
    )
    pd.add_argument(
        "--pipedrive-oauth",
        action="store_true",
        help="sign in to Pipedrive in the browser, through your Pipedrive OAuth app",
    )

    op = sub.add_parser(
        "options",
        help="show or change the sync options",
        description="With no value flags, prints the current options.",
    )
    op.add_argument(
        "--calendar",
        metavar="NAME|ID",
        help="the Google calendar to sync: its name (any case), its id, or primary "
        "(`calsync calendars` lists them)",
    )
    op.add_argument(
        "--sync-type",
        metavar="one-way|two-way",
        help="one-way: Pipedrive -> Google only; two-way: both directions",
    )
    op.add_argument(
        "--save-as",
        metavar="TYPE",
        help="activity type for Google events saved to Pipedrive: its key or name, any case",
    )
    op.add_argument(
        "--push-types",
        metavar="TYPE,TYPE",
        help="Pipedrive activity types synced to the calendar (keys or names), or none",
    )
    op.add_argument(
        "--private", metavar="private|busy|public|skip", help="how private Google events are saved"
    )
    linked = op.add_mutually_exclusive_group()
    linked.add_argument(
        "--linked-contacts",
        dest="linked_contacts",
        action="store_const",
        const=True,
        help="put linked person, organization and deal details into Google events",
    )
    linked.add_argument(
        "--no-linked-contacts",
        dest="linked_contacts",
        action="store_const",
        const=False,
        help="keep linked contact details in Pipedrive",
    )
    persons = op.add_mutually_exclusive_group()
    persons.add_argument(
        "--create-persons",
        dest="create_persons",
        action="store_const",
        const=True,
        help="create a Pipedrive person for each unknown external guest of a Google event",
    )
    persons.add_argument(
        "--no-create-persons",
        dest="create_persons",
        action="store_const",
        const=False,
        help="leave unknown guests out of Pipedrive (the default)",
    )
    op.add_argument(
        "--window-past", type=_non_negative, metavar="DAYS", help="days back to sync (default 30)"
    )
    op.add_argument(
        "--window-future",
        type=_non_negative,
        metavar="DAYS",
        help="days ahead to sync (default 365)",
    )
    op.add_argument(
        "--import-blocks",
        metavar="out-of-office,focus-time|none",
        help="Google out-of-office and focus-time blocks imported as busy activities "
        "(default none)",
    )
    op.add_argument("--json", action="store_true", help="print the options as one JSON object")
    op.add_argument("--account", metavar="ID", help="which account (when there are several)")

    ca = sub.add_parser(
        "calendars",
        help="list the calendars you can sync to",
        description="The Google calendars the account can write to: name, time zone, id, and "
        "which one is primary and which one is synced. `calsync options --calendar NAME` "
        "chooses one.",
    )
    ca.add_argument(
        "--json",
        action="store_true",
        help='one JSON list: [{"id", "name", "time_zone", "primary"}, ...]',
    )
    ca.add_argument("--account", metavar="ID", help="which account (when there are several)")

    sy = sub.add_parser(
        "sync",
        help="sync once, or keep syncing",
        description="Sync the Google calendar and the Pipedrive activities of every active "
        "account (or --account ID): one run with --once, or a run every --interval seconds "
        "with --watch.",
    )
    mode = sy.add_mutually_exclusive_group(required=True)
    mode.add_argument(
        "--once", action="store_true", help="one run, then exit (0 ok, 1 failed, 3 guarded)"
    )
    mode.add_argument(
        "--watch", action="store_true", help="sync every --interval seconds until Ctrl+C"
    )
    sy.add_argument(
        "--json", action="store_true", help="print the run's summary as one JSON object"
    )
    sy.add_argument(
        "--dry-run", action="store_true", help="show what would be written; write nothing"
    )
    sy.add_argument(
        "--force-delete", action="store_true", help="apply a run that the mass-deletion guard held"
    )
    sy.add_argument(
        "--interval",
        type=_seconds,
        default=DEFAULT_INTERVAL,
        metavar="SECONDS",
        help=f"seconds between runs with --watch (default {DEFAULT_INTERVAL:g}; longer when "
        "Pipedrive's daily budget needs it)",
    )
    sy.add_argument("--account", metavar="ID", help="only this account (default: every active one)")

    ac = sub.add_parser(
        "accounts",
        help="list connected and previously synced accounts",
        description="The connected accounts and the previously synced (stopped) ones, each with "
        "its calendar, sync type and last run.",
    )
    ac.add_argument(
        "--json", action="store_true", help='{"active": [...], "previously_synced": [...]}'
    )

    dc = sub.add_parser(
        "disconnect",
        help="stop syncing an account (nothing is deleted)",
        description="Stop syncing an account: nothing is deleted in Google Calendar or "
        "Pipedrive. It moves to the previously synced accounts, with its options and links; "
        "`calsync reconnect ID` brings it back.",
    )
    dc.add_argument(
        "id", nargs="?", metavar="ID", help="the account (default: the only active one)"
    )

    rc = sub.add_parser(
        "reconnect",
        help="start syncing a stopped account again, with its last options",
        description="Start syncing a previously synced account again, with its last options; "
        "its sign-in is checked first. Nothing is duplicated.",
    )
    rc.add_argument("id", metavar="ID", help="the account (see `calsync accounts`)")

    lg = sub.add_parser(
        "log",
        help="run history and what each run did",
        description="The runs of an account, one line each; with --run N, what run N did, "
        "item by item, times in the calendar's time zone.",
    )
    lg.add_argument("--json", action="store_true", help="JSON instead of text")
    lg.add_argument("--run", type=_non_negative, metavar="N", help="show run N with its events")
    lg.add_argument("--account", metavar="ID", help="which account (when there are several)")
    _undo_parsers(sub)
    _review_parser(sub)
    return parser


def _review_parser(sub) -> None:
    """`calsync review` (docs/cli.md)."""
    rv = sub.add_parser(
        "review",
        help="items a sync left for you to decide",
        description="With no ITEM, lists the items waiting for review (possible duplicates "
        "of a meeting already on both sides); with ITEM and one of --person, --deal or "
        "--dismiss, resolves it.",
    )
    rv.add_argument("item", nargs="?", metavar="ITEM", help="the item: side:id, as listed")
    rv.add_argument("--person", metavar="ID", help="the Pipedrive person to link")
    rv.add_argument("--deal", metavar="ID", help="the Pipedrive deal to link")
    rv.add_argument("--dismiss", action="store_true", help="leave the item as it is: never copied")
    rv.add_argument("--json", action="store_true", help="JSON instead of text")
    rv.add_argument("--account", metavar="ID", help="which account (when there are several)")


def _undo_parsers(sub) -> None:
    """`calsync undo` and `calsync explain` (docs/cli.md)."""
    un = sub.add_parser(
        "undo",
        help="put back what calsync wrote in a run, then stop syncing the account",
        description="Put back everything calsync wrote in run N (default: the last run that "
        "wrote), on both sides: delete what it created, restore what it overwrote, re-create "
        "what it deleted. Items someone changed since are left alone and listed. Then the "
        "account stops syncing until `calsync reconnect ID` (0 ok, 1 failed, 3 guarded).",
    )
    un.add_argument(
        "--run", type=_non_negative, metavar="N", help="the run to undo (see `calsync log`)"
    )
    un.add_argument(
        "--dry-run", action="store_true", help="show what would be put back; write nothing"
    )
    un.add_argument(
        "--json", action="store_true", help="print the undo's summary as one JSON object"
    )
    un.add_argument(
        "--force-delete",
        action="store_true",
        help="apply an undo that the mass-deletion guard held",
    )
    un.add_argument("--account", metavar="ID", help="which account (when there are several)")
    ex = sub.add_parser(
        "explain",
        help="what calsync did to an item, and why",
        description="ITEM is a Google event id, a Pipedrive activity id, or words of a title. "
        "Prints the pair it belongs to, the planner's rule behind its last outcome (synced, "
        "skipped with the reason code and the option behind it, a conflict and its loser, "
        "the mass-deletion guard) and the runs that touched it.",
    )
    ex.add_argument("item", metavar="ITEM", help="an event id, an activity id or a title")
    ex.add_argument("--json", action="store_true", help="print the explanation as JSON")
    ex.add_argument("--account", metavar="ID", help="which account (when there are several)")


def run_sandbox(args: argparse.Namespace) -> int:
    from sandbox.app import create_app
    from sandbox.server import bind, check_loopback, serve, url_of

    try:
        check_loopback(args.host)
    except ValueError as exc:
        sys.stderr.write(f"calsync: {exc}\n")
        return EXIT_USAGE
    app = create_app(
        seed=args.seed,
        empty=args.empty,
        churn_per_minute=args.churn,
        limits=args.limits,
        real_calendar=True,  # the primary calendar as a real one looks since 2024 (every type)
    )
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        sys.stderr.write(
            f"calsync: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}\n"
        )
        return EXIT_FAILED
    data = "empty" if args.empty else f"seed {args.seed}"
    print(
        f"calsync sandbox on {url_of(sock)} ({data}, churn {args.churn}/min, "
        f"limits {args.limits}); Ctrl+C stops it",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        serve(app, sock)
    return EXIT_OK


def run_app() -> int:
    from tui.app import CalsyncApp

    CalsyncApp().run()
    return EXIT_OK


def _option_changes(args: argparse.Namespace) -> dict:
    from sync.options import parse_push_types

    changes: dict = {}
    for flag, key in (
        ("calendar", "calendar"),
        ("sync_type", "sync_type"),
        ("save_as", "save_as"),
        ("private", "private"),
        ("linked_contacts", "linked_contacts"),
        ("create_persons", "create_persons"),
        ("window_past", "window_past_days"),
        ("window_future", "window_future_days"),
    ):
        value = getattr(args, flag)
        if value is not None:
            changes[key] = value
    if args.push_types is not None:
        changes["push_types"] = parse_push_types(args.push_types)
    if args.import_blocks is not None:
        from sync.options import parse_import_blocks

        changes["import_blocks"] = parse_import_blocks(args.import_blocks)
    return changes


def run_command(args: argparse.Namespace) -> int:
    """A headless command, through sync.commands."""
    from sync import commands

    console = commands.Console()
    if args.command == "connect":
        return _connect(console, args)
    if args.command == "options":
        return commands.options(
            console,
            home=None,
            account_id=args.account,
            changes=_option_changes(args),
            as_json=args.json,
        )
    if args.command == "sync":
        return _sync(console, args)
    if args.command == "calendars":
        return commands.calendars(console, home=None, account_id=args.account, as_json=args.json)
    if args.command == "accounts":
        return commands.accounts(console, home=None, as_json=args.json)
    if args.command == "disconnect":
        return commands.disconnect(console, home=None, account_id=args.id)
    if args.command == "reconnect":
        return commands.reconnect(console, home=None, account_id=args.id)
    if args.command == "log":
        return commands.log(
            console, home=None, account_id=args.account, as_json=args.json, run=args.run
        )
    if args.command == "undo":
        from sync import undo_commands

        return undo_commands.undo(
            console,
            home=None,
            account_id=args.account,
            run=args.run,
            as_json=args.json,
            dry_run=args.dry_run,
            force_delete=args.force_delete,
        )
    if args.command == "review":
        from sync import review_commands

        return review_commands.review(
            console,
            home=None,
            account_id=args.account,
            item=args.item,
            person=args.person,
            deal=args.deal,
            dismiss=args.dismiss,
            as_json=args.json,
        )
    if args.command == "explain":
        from sync import undo_commands

        return undo_commands.explain(
            console, home=None, account_id=args.account, item=args.item, as_json=args.json
        )
    raise AssertionError(args.command)


def _connect(console: Console, args: argparse.Namespace) -> int:
    """`calsync connect`: the sandbox's own credentials, or Google plus a Pipedrive token
    (or Pipedrive's sign-in)."""
    from sync import commands

    if args.sandbox and (args.pipedrive_token or args.pipedrive_oauth):
        raise _usage(
            "connect --sandbox takes the sandbox's own Pipedrive credentials: drop --pipedrive-*"
        )
    token = _pipedrive_token(args) if args.google else None
    if args.google and not (token or args.pipedrive_oauth):
        raise _usage(
            "connect --google needs --pipedrive-token - (the token on standard input), "
            "CALSYNC_PIPEDRIVE_TOKEN, or --pipedrive-oauth"
        )
    return commands.connect(
        console,
        home=None,
        sandbox=args.sandbox,
        google=args.google,
        pipedrive_token=token,
        pipedrive_oauth=args.pipedrive_oauth,
    )


def _sync(console: Console, args: argparse.Namespace) -> int:
    """`calsync sync --once` or `--watch` (whose flags do not mix)."""
    from sync import commands

    if args.watch:
        if args.json or args.dry_run or args.force_delete:
            raise _usage("--json, --dry-run and --force-delete go with --once, not --watch")
        return commands.sync_watch(
            console, home=None, account_id=args.account, interval=args.interval
        )
    return commands.sync_once(
        console,
        home=None,
        account_id=args.account,
        as_json=args.json,
        dry_run=args.dry_run,
        force_delete=args.force_delete,
    )


def _pipedrive_token(args: argparse.Namespace) -> str | None:
    """The Pipedrive API token: `--pipedrive-token -` reads it from standard input (a prompt
    that does not echo on a terminal), else the flag's value, else CALSYNC_PIPEDRIVE_TOKEN
    (the ways that `ps` cannot show)."""
    if args.pipedrive_oauth:
        return None
    if args.pipedrive_token == "-":
        if sys.stdin is None:
            raise _usage("--pipedrive-token -: there is no standard input to read the token from")
        if sys.stdin.isatty():
            token = getpass.getpass("Pipedrive API token: ")
        else:
            token = sys.stdin.readline()
        if not token.strip():
            raise _usage("--pipedrive-token -: no token on standard input")
        return token.strip()
    return args.pipedrive_token or os.environ.get("CALSYNC_PIPEDRIVE_TOKEN", "").strip() or None


def _usage(message: str) -> SystemExit:
    sys.stderr.write(f"calsync: {message}\n")
    return SystemExit(EXIT_USAGE)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        return run_app()
    if args.command == "sandbox":
        return run_sandbox(args)
    from sync.errors import CalsyncError
    from sync.safe_text import safe_text

    # Retries and per-item problems are reported in the command's own output; library
    # chatter (stamina's retry notices) must not leak onto stderr as extra lines.
    logging.getLogger().addHandler(logging.NullHandler())
    logging.getLogger("stamina").setLevel(logging.ERROR)
    logging.getLogger("calsync").setLevel(logging.ERROR)
    try:
        return run_command(args)
    except CalsyncError as exc:  # may quote a service's answer or a stored value: made safe
        sys.stderr.write(f"calsync: {safe_text(str(exc))}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("calsync: interrupted\n")
        return 130
    except Exception as exc:  # a bug, not a user error: still one line, details on request
        if os.environ.get("CALSYNC_DEBUG"):
            raise
        if isinstance(exc, OSError) and exc.filename:
            # The file system refused a file calsync keeps (most often an unusable home).
            sys.stderr.write(
                f"calsync: cannot use {exc.filename}: {exc.strerror or exc} "
                "(check that CALSYNC_HOME is a folder you may write to)\n"
            )
            return EXIT_FAILED
        sys.stderr.write(
            f"calsync: internal error: {exc.__class__.__name__}: {exc} "
            "(set CALSYNC_DEBUG=1 to see the traceback)\n"
        )
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
