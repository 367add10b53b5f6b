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

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

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


def render_pjsip(sip_port: int, phones: list[str], agents_port: int | None = None) -> str:
    """pjsip.conf: a UDP transport on loopback, the trunk, and one endpoint per phone name."""
    common = "disallow = all\nallow = ulaw\ndirect_media = no\nrtp_symmetric = yes\n"
    out = [f"[transport-udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:{sip_port}\n",
           f"[trunk]\ntype = endpoint\ncontext = sim-sip-trunk\nidentify_by = username\n"
           f"trust_id_inbound = yes\n{common}"]
    for name in phones:
        out.append(f"[{name}]\ntype = endpoint\ncontext = sim-sip-phone\nidentify_by = username\n"
                   f"aors = {name}\n{common}")
        contact = f"contact = sip:{name}@127.0.0.1:{agents_port}\n" if agents_port else ""
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


def uas_scenario(tone: Path, answer_ms: int) -> str:
    """Agent phones: ring, answer after ``answer_ms`` with RTP, talk until Asterisk hangs up."""
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

{_SDP}]]></send>
<recv request="ACK" optional="false"/>
<nop><action><exec rtp_stream="{tone},-1,0"/></action></nop>
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
