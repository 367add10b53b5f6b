"""Real SIP phones for tests and benchmarks: PJSIP endpoints on the sandbox Asterisk, played by
SIPp processes that send and receive RTP (a tone of their own frequency, u-law).

- A *trunk* endpoint (``trunk``, identified by the From user) carries callers: an INVITE to
  ``sip:<queue>@asterisk`` enters the shipped ``ccd-queue`` dialplan like a carrier's call;
  the caller's number travels in P-Asserted-Identity.
- A *phone* endpoint per agent or supervisor (``PJSIP/<name>``): Asterisk reaches it at the
  SIPp UAS that plays all agent phones (``sipp_agents``); calls it makes (From user = its
  name) run in ``sim-sip-phone``, which offers the ccd feature codes and an ``echo`` number.
"""

from __future__ import annotations

import socket
import struct
import subprocess
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SIPP = "sipp"
_SDP = """v=0
o=sipp 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [rtpstream_audio_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
a=sendrecv
"""


def render_pjsip(sip_port: int, phones: list[str], agents_port: int | None = None,
                 contacts: dict[str, int] | None = None) -> str:
    """pjsip.conf: a UDP transport on loopback, the trunk, and one endpoint per phone name,
    reached at ``agents_port`` (or its own port in ``contacts``)."""
    common = "disallow = all\nallow = ulaw\ndirect_media = no\nrtp_symmetric = yes\n"
    out = [f"[transport-udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:{sip_port}\n",
           f"[trunk]\ntype = endpoint\ncontext = sim-sip-trunk\nidentify_by = username\n"
           f"trust_id_inbound = yes\n{common}"]
    for name in phones:
        out.append(f"[{name}]\ntype = endpoint\ncontext = sim-sip-phone\nidentify_by = username\n"
                   f"aors = {name}\n{common}")
        port = (contacts or {}).get(name, agents_port)
        contact = f"contact = sip:{name}@127.0.0.1:{port}\n" if port else ""
        out.append(f"[{name}]\ntype = aor\nmax_contacts = 1\n{contact}")
    return "\n".join(out)


def tone_file(directory: Path, hz: int, seconds: int = 30) -> Path:
    """An 8 kHz u-law WAV of one sine tone: what a SIPp phone streams as its voice."""
    path = directory / f"tone-{hz}.wav"
    if not path.exists():
        subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-e", "u-law", str(path),
                        "synth", str(seconds), "sine", str(hz), "vol", "0.5"], check=True)
    return path


def uac_scenario(from_user: str, number: str, tone: Path, hold_ms: int) -> str:
    """A phone that calls, streams its tone once answered, and hangs up after ``hold_ms``."""
    pai = f"P-Asserted-Identity: <sip:{number}@[local_ip]>\n" if number else ""
    return f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="ccd-uac">
<send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{from_user}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:{from_user}@[local_ip]:[local_port]>
{pai}Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

{_SDP}]]></send>
<recv response="100" optional="true"/>
<recv response="180" optional="true"/>
<recv response="183" optional="true"/>
<recv response="200" rrs="true"/>
<send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{from_user}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
[routes]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0
]]></send>
<nop><action><exec rtp_stream="{tone},-1,0"/></action></nop>
<recv request="BYE" timeout="{hold_ms}" ontimeout="hangup" next="byed"/>
<label id="hangup"/>
<send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{from_user}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
[routes]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0
]]></send>
<recv response="200" crlf="true" next="end"/>
<label id="byed"/>
<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]></send>
<label id="end"/>
</scenario>
"""


def uas_scenario(tone: Path | None, answer_ms: int, media_port: int = 0) -> str:
    """Agent phones: ring, answer after ``answer_ms`` with RTP, talk until Asterisk hangs up.
    With ``media_port`` the audio is not SIPp's: the SDP points at that port (an RtpEar)."""
    sdp = _SDP.replace("[rtpstream_audio_port]", str(media_port)) if media_port else _SDP
    play = f'<nop><action><exec rtp_stream="{tone},-1,0"/></action></nop>' if tone and not media_port else ""
    return f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="ccd-uas">
<recv request="INVITE" crlf="true"/>
<send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0
]]></send>
<pause milliseconds="{answer_ms}"/>
<send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

{sdp}]]></send>
<recv request="ACK" optional="false"/>
{play}
<recv request="BYE" timeout="86400000"/>
<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]></send>
</scenario>
"""


@dataclass
class Sipp:
    """One SIPp process (a UAS serving all agent phones, or a UAC placing calls)."""

    proc: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(cls, workdir: Path, name: str, scenario: str, port: int, *, target: str = "",
              service: str = "", calls: int = 0, rate: float = 1.0, rtp_base: int = 0) -> Sipp:
        xml = workdir / f"{name}.xml"
        xml.write_text(scenario)
        log = workdir / f"{name}.log"
        args = [SIPP, "-sf", str(xml), "-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1",
                "-nostdin", "-trace_err", "-error_file", str(workdir / f"{name}.err")]
        if rtp_base:
            args += ["-mp", str(rtp_base)]  # RTP ports of the streams count up from here
        if service:
            args += ["-s", service]
        if calls:
            args += ["-m", str(calls), "-r", f"{rate:g}", "-rp", "1000", "-l", str(max(calls, 1))]
        if target:
            args.append(target)
        proc = subprocess.Popen(args, cwd=workdir, stdin=subprocess.DEVNULL, stdout=open(log, "wb"),
                                stderr=subprocess.STDOUT, start_new_session=True)
        return cls(proc, log)

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def alive(self) -> bool:
        return self.proc.poll() is None


def check_started(proc: Sipp, settle_s: float = 0.5) -> None:
    """SIPp fails at once on a bad scenario or a taken port: say so instead of timing out later."""
    time.sleep(settle_s)
    if not proc.alive() and proc.proc.returncode != 0:
        raise RuntimeError(f"sipp exited {proc.proc.returncode}: {proc.log.read_text(errors='replace')[-2000:]}")


class RtpEar:
    """A SIP phone's audio end in this process: it plays its tone over RTP (u-law, 20 ms
    packets) and records what it hears, exactly as received from Asterisk, to a WAV file.
    Pair it with ``uas_scenario(media_port=ear.port)`` for the signalling."""

    def __init__(self, hz: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.02)
        self.port = int(self.sock.getsockname()[1])
        self.hz = hz
        self.heard = bytearray()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        peer: tuple[str, int] | None = None
        seq, ts, phase = 0, 0, 0
        next_send = time.monotonic()
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(2048)
                if len(data) > 12 and data[1] & 0x7F == 0:  # PCMU
                    self.heard += data[12:]
                    peer = addr
            except TimeoutError:
                pass
            if peer is not None and time.monotonic() >= next_send:
                samples = np.sin(2 * np.pi * self.hz * (np.arange(160) + phase) / 8000) * 0.5
                phase += 160
                header = struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, ts & 0xFFFFFFFF, 0x1234)
                self.sock.sendto(header + _ulaw_encode(samples), peer)
                seq, ts, next_send = seq + 1, ts + 160, next_send + 0.02

    def save(self, path: Path) -> Path:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()
        pcm = _ulaw_decode(bytes(self.heard))
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(pcm.astype("<i2").tobytes())
        return path


def _ulaw_encode(x: np.ndarray) -> bytes:
    """G.711 u-law of samples in [-1, 1]."""
    s = np.clip(x * 32124, -32124, 32124).astype(np.int32)
    sign = np.where(s < 0, 0x80, 0)
    mag = np.abs(s) + 0x84
    exp = np.clip(np.floor(np.log2(mag)).astype(np.int32) - 7, 0, 7)
    mant = (mag >> (exp + 3)) & 0x0F
    return bytes((~(sign | (exp << 4) | mant) & 0xFF).astype(np.uint8).tobytes())


def _ulaw_decode(data: bytes) -> np.ndarray:
    u = ~np.frombuffer(data, dtype=np.uint8).astype(np.int32) & 0xFF
    exp, mant = (u >> 4) & 0x07, u & 0x0F
    mag = ((mant << 3) + 0x84) << exp
    return np.where(u & 0x80, -(mag - 0x84), mag - 0x84)
