"""Which Asterisk the sandbox runs: one setting, resolved in one place.

``CCD_TEST_ASTERISK`` = ``16`` (Debian's packaged 16.28, the default) or ``22`` (the 22 LTS
that ``scripts/build-asterisk22`` builds into its own prefix, ``$CCD_OPT_DIR/asterisk-22``,
default ``/opt/ccd/asterisk-22``). The harness, the benchmarks and the demo all take the
binary, module dir and data dir from here; tests compare version-specific facts with
``selected().major``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

ENV = "CCD_TEST_ASTERISK"
SUPPORTED = ("16", "22")
SYSTEM_DATA = Path("/usr/share/asterisk")  # Debian's sounds and music on hold, any version


@dataclass(frozen=True)
class AsteriskBuild:
    """Where one Asterisk version lives on this machine."""

    major: int
    binary: Path
    modules: Path
    data: Path  # astdatadir: documentation, rest-api models, sounds (linked)

    @property
    def installed(self) -> bool:
        return self.binary.is_file() and self.modules.is_dir()


def opt_dir() -> Path:
    return Path(os.environ.get("CCD_OPT_DIR", "/opt/ccd"))


def build_for(version: str) -> AsteriskBuild:
    if version == "16":
        binary = Path(shutil.which("asterisk") or "/usr/sbin/asterisk")
        return AsteriskBuild(16, binary, Path("/usr/lib/asterisk/modules"), SYSTEM_DATA)
    if version == "22":
        prefix = opt_dir() / "asterisk-22"
        return AsteriskBuild(
            22,
            prefix / "sbin" / "asterisk",
            prefix / "lib" / "asterisk" / "modules",
            prefix / "var" / "lib" / "asterisk",
        )
    raise ValueError(f"{ENV}={version!r}: expected one of {', '.join(SUPPORTED)}")


def selected() -> AsteriskBuild:
    """The Asterisk under test, from ``CCD_TEST_ASTERISK`` (default 16)."""
    return build_for(os.environ.get(ENV, "16").strip() or "16")


def demo_build() -> AsteriskBuild:
    """What the demo runs: ``CCD_TEST_ASTERISK`` when set, else 22 when built here, else 16."""
    if os.environ.get(ENV, "").strip():
        return selected()
    for version in reversed(SUPPORTED):
        build = build_for(version)
        if build.installed:
            return build
    return build_for(SUPPORTED[0])
