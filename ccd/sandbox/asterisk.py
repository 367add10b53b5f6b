"""A real, private Asterisk started as a subprocess: for tests, benchmarks and the demo.

Its config lives in one directory (see ``asterisk_conf``); the instance knows its ports and
credentials, runs CLI commands, and can be stopped, killed (-9) and restarted.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from ccd.sandbox.asterisk_build import AsteriskBuild, selected
from ccd.sandbox.asterisk_conf import Credentials, Ports, render

BOOT_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AsteriskInstance:
    """One private Asterisk: its config, ports, credentials and process."""

    def __init__(
        self,
        base: Path,
        *,
        extra_dialplan: str = "",
        queues_conf: str = "",
        queuerules_conf: str = "",
        extra_sounds: dict[str, Path] | None = None,
        ports: Ports | None = None,
        creds: Credentials | None = None,
        pjsip_conf: str = "",
        build: AsteriskBuild | None = None,
        ami_eventfilter: bool = True,
    ) -> None:
        self.build = build or selected()
        self.base = base
        self.ports = ports or Ports(ami=free_port(), http=free_port())
        self.creds = creds or Credentials()
        self.conf = render(
            base,
            self.ports,
            self.creds,
            extra_dialplan=extra_dialplan,
            queues_conf=queues_conf,
            queuerules_conf=queuerules_conf,
            extra_sounds=extra_sounds,
            pjsip_conf=pjsip_conf,
            build=self.build,
            ami_eventfilter=ami_eventfilter,
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self._console = open(base / "log" / "console.log", "ab")

    # -- connection details -------------------------------------------------------------
    ami_host = "127.0.0.1"
    ari_app = "ccd"

    @property
    def ami_port(self) -> int:
        return self.ports.ami

    @property
    def ami_user(self) -> str:
        return self.creds.ami_user

    @property
    def ami_secret(self) -> str:
        return self.creds.ami_secret

    @property
    def ari_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.http}"

    @property
    def ari_user(self) -> str:
        return self.creds.ari_user

    @property
    def ari_password(self) -> str:
        return self.creds.ari_password

    @property
    def sim_ami_user(self) -> str:  # broad rights and every event: tests' own actions and observers
        return self.creds.sim_user

    @property
    def sim_ami_secret(self) -> str:
        return self.creds.sim_secret

    @property
    def spool_dir(self) -> Path:
        return self.base / "spool"

    @property
    def etc_dir(self) -> Path:
        return self.base / "etc"

    @property
    def log_path(self) -> Path:
        return self.base / "log" / "messages"

    # -- lifecycle ----------------------------------------------------------------------
    def start(self, timeout: float = BOOT_TIMEOUT_S) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        if not self.build.installed:
            raise RuntimeError(f"Asterisk {self.build.major} is not installed at {self.build.binary}"
                               " (scripts/install-deps builds 22)")
        self.proc = subprocess.Popen(
            [str(self.build.binary), "-C", str(self.conf), "-f", "-n", "-q"],
            stdin=subprocess.DEVNULL,
            stdout=self._console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_fully_booted(timeout)

    def wait_fully_booted(self, timeout: float = BOOT_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"asterisk exited with {self.proc.returncode}\n{self.log_tail()}")
            try:
                out = self.cli("core waitfullybooted", timeout=max(1.0, deadline - time.monotonic()))
            except (subprocess.TimeoutExpired, RuntimeError):
                time.sleep(0.1)
                continue
            if "fully booted" in out.lower():
                return
            time.sleep(0.1)
        raise RuntimeError(f"asterisk did not boot within {timeout}s\n{self.log_tail()}")

    def cli(self, command: str, timeout: float = 10.0) -> str:
        """Run a CLI command on this instance (``asterisk -rx``) and return its output."""
        res = subprocess.run(
            [str(self.build.binary), "-C", str(self.conf), "-rx", command],
            capture_output=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        out = res.stdout.decode(errors="replace")
        if res.returncode != 0 or "Unable to connect to remote asterisk" in out:
            raise RuntimeError(f"asterisk -rx {command!r} failed: {out}{res.stderr.decode()}")
        return out

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.cli("core stop now", timeout=5)
        except (RuntimeError, subprocess.TimeoutExpired):
            self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill9()

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        # A killed Asterisk leaves its control socket behind; the next start removes it.
        ctl = self.base / "run" / "asterisk.ctl"
        ctl.unlink(missing_ok=True)

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        self._console.close()

    def log_tail(self, lines: int = 200) -> str:
        parts = []
        for path in (self.log_path, self.base / "log" / "console.log"):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path.name} ---\n" + "\n".join(text))
        return "\n".join(parts)

    # -- simulated people ---------------------------------------------------------------
    @staticmethod
    def caller_channel(queue: str, caller: str = "anon", priority: int | None = None) -> str:
        suffix = f"-{priority}" if priority is not None else ""
        return f"Local/c-{caller}-{queue}{suffix}@sim-trunk"

    @staticmethod
    def phone_exten(hangup_after: float = 60, dtmf_delay: float = 0, digits: str = "x",
                    tone: int = 400) -> str:
        return f"cp-{hangup_after:g}-{dtmf_delay:g}-{digits}-{tone}"

    @staticmethod
    def agent_endpoint(agent_id: str, answer_delay: float | str = 0, talk: float = 0,
                       tone: int = 800) -> str:
        delay = answer_delay if isinstance(answer_delay, str) else f"{answer_delay:g}"
        return f"Local/ag-{agent_id}-{delay}-{talk:g}-{tone}@sim-agent"

    def originate_caller_cli(self, queue: str, caller: str = "anon", *, hangup_after: float = 60,
                             dtmf_delay: float = 0, digits: str = "x", tone: int = 400) -> None:
        """Place a simulated call into ``queue`` through the shipped dialplan (CLI originate)."""
        chan = self.caller_channel(queue, caller)
        exten = self.phone_exten(hangup_after, dtmf_delay, digits, tone)
        self.cli(f"channel originate {chan} extension {exten}@sim-phone")

    def channels(self) -> list[str]:
        out = self.cli("core show channels concise")
        return [line.split("!")[0] for line in out.splitlines() if "!" in line]
