"""The ``ccd`` command line: run the daemon, check and render configuration, reports."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ccd import __version__
from ccd.config_load import ConfigError, check_config, load_config

# Feature packages register their own subcommands (migrate, report, staffing, ratings, ...).
SUBCOMMAND_MODULES = (
    "ccd.store.cli",
    "ccd.staffing.cli",
    "ccd.schedule.cli",
    "ccd.rating_ivr.cli",
    "ccd.recordings.cli",
    "ccd.demo",
    "ccd.console.cli",
)


def _cmd_version(_: argparse.Namespace) -> int:
    print(f"ccd {__version__}")
    return 0


def _cmd_check_config(args: argparse.Namespace) -> int:
    cfg, problems = check_config(Path(args.file))
    for p in problems:
        print(p, file=sys.stderr)
    if cfg is None:
        print(f"{args.file}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"{args.file}: ok ({len(cfg.queues)} queues, {len(cfg.agents)} agents, "
          f"{len(cfg.supervisors)} supervisors)")
    return 0


def _cmd_asterisk_config(args: argparse.Namespace) -> int:
    from ccd.asterisk_config import MissingSecret, write_all

    cfg = load_config(args.config, secrets=True)
    try:
        written = write_all(cfg, Path(args.output))
    except (MissingSecret, OSError) as exc:
        print(f"ccd asterisk-config: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from ccd.log import setup_logging
    from ccd.process import run_daemon

    cfg = load_config(args.config, secrets=True)
    setup_logging(cfg.log_format, cfg.log_level)
    return asyncio.run(run_daemon(cfg))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ccd", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("version", help="print the version")
    p.set_defaults(func=_cmd_version)
    p = sub.add_parser("check-config", help="validate a config file; exit 1 with every problem")
    p.add_argument("file")
    p.set_defaults(func=_cmd_check_config)
    p = sub.add_parser("asterisk-config", help="render the Asterisk snippets for this config")
    p.add_argument("-c", "--config", required=True)
    p.add_argument("-o", "--output", required=True, help="directory to write into")
    p.set_defaults(func=_cmd_asterisk_config)
    p = sub.add_parser("run", help="run the daemon")
    p.add_argument("-c", "--config", required=True)
    p.set_defaults(func=_cmd_run)
    for name in SUBCOMMAND_MODULES:
        module = importlib.import_module(name)
        register: Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]
        register = module.register
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
