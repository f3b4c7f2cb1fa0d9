"""The `calsync` entry point: parses the command line, runs headless commands through
`sync/`, serves the sandbox, or starts the Textual app (imported only then)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_GUARDED = 0, 1, 2, 3
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
    return parser


def run_sandbox(args: argparse.Namespace) -> int:
    from sandbox.app import create_app
    from sandbox.server import bind, check_loopback, serve, url_of

    try:
        check_loopback(args.host)
    except ValueError as exc:
        sys.stderr.write(f"calsync: {exc}\n")
        return EXIT_USAGE
    app = create_app(
        seed=args.seed, empty=args.empty, churn_per_minute=args.churn, limits=args.limits
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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "sandbox":
        return run_sandbox(args)
    return run_app()


if __name__ == "__main__":
    raise SystemExit(main())
