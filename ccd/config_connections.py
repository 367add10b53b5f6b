"""The config of ccd's connections: AMI, ARI, the database, and the HTTP listener with its
API tokens. Secrets resolve through ``read_secret`` (environment, file, inline)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator

from ccd.config_base import ConfigPath, Ident, Role, Strict, port_ok, read_secret


class AmiConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(5038, ge=1, le=65535)
    username: str = "ccd"
    secret: SecretStr | None = None
    secret_file: ConfigPath | None = None
    ping_interval: float = Field(10.0, gt=0)
    action_timeout: float = Field(5.0, gt=0)
    reconnect_max: float = Field(30.0, gt=0)

    def resolved_secret(self) -> SecretStr | None:
        return read_secret(self.secret, self.secret_file, "CCD_AMI_SECRET")


class AriConfig(Strict):
    url: str = Field("http://127.0.0.1:8088", pattern=r"^https?://")
    username: str = "ccd"
    password: SecretStr | None = None
    password_file: ConfigPath | None = None
    app: str = Field("ccd", pattern=r"^[A-Za-z0-9_-]+$")
    request_timeout: float = Field(5.0, gt=0)
    reconnect_max: float = Field(30.0, gt=0)

    def resolved_password(self) -> SecretStr | None:
        return read_secret(self.password, self.password_file, "CCD_ARI_PASSWORD")

    @field_validator("url")
    @classmethod
    def _url_port(cls, value: str) -> str:
        netloc = value.split("://", 1)[1].split("/", 1)[0]
        host, sep, port = netloc.rpartition(":")
        if not netloc or (sep and (not host or not port_ok(port))):
            raise ValueError("not a URL with a host and a port between 1 and 65535 (http://127.0.0.1:8088)")
        return value


class DatabaseConfig(Strict):
    dsn: SecretStr | None = None
    dsn_file: ConfigPath | None = None
    spool_dir: ConfigPath = Path("/var/lib/ccd/spool")
    spool_max_mb: int = Field(512, ge=1)
    batch_max: int = Field(5000, ge=1)
    flush_interval: float = Field(0.05, gt=0)

    def resolved_dsn(self) -> str:
        dsn = read_secret(self.dsn, self.dsn_file, "CCD_DATABASE_DSN")
        return dsn.get_secret_value() if dsn else "postgresql://ccd@127.0.0.1:5432/ccd"


class TokenConfig(Strict):
    name: str
    role: Role
    token: SecretStr | None = None
    token_file: ConfigPath | None = None
    supervisor: Ident | None = None  # a supervisor-role token acts for this supervisor's teams

    @model_validator(mode="after")
    def _has_secret(self) -> TokenConfig:
        if self.token is None and self.token_file is None:
            raise ValueError("a token needs 'token' or 'token_file'")
        if self.role == "supervisor" and self.supervisor is None:
            raise ValueError("a supervisor token must name its 'supervisor'")
        return self

    def resolved_token(self) -> SecretStr:
        tok = read_secret(self.token, self.token_file, f"CCD_TOKEN_{self.name.upper()}")
        assert tok is not None
        return tok


class HttpConfig(Strict):
    listen: str = Field("127.0.0.1:8080", pattern=r"^[^:]*:\d{1,5}$")
    # /metrics (per-agent state) and /readyz (which link is down) without a token: by default
    # only while ccd listens on loopback; on any other address they need a token unless set true.
    open_metrics: bool | None = None
    open_ready: bool | None = None
    open_health: bool = True  # /healthz (liveness, says nothing) for container health checks
    tokens: list[TokenConfig] = Field(default_factory=list)

    @field_validator("listen")
    @classmethod
    def _listen_port(cls, value: str) -> str:
        port = value.rsplit(":", 1)[1]
        if not (port_ok(port) or int(port) == 0):  # 0: any free port (tests)
            raise ValueError(f"port {port} is not between 1 and 65535")
        return value

    def on_loopback(self) -> bool:
        host = self.listen.rpartition(":")[0].strip("[]")
        return host in ("localhost", "::1") or host.startswith("127.")

    def metrics_is_open(self) -> bool:
        return self.on_loopback() if self.open_metrics is None else self.open_metrics

    def ready_is_open(self) -> bool:
        if not self.open_health:  # the older switch closed /readyz too
            return False
        return self.on_loopback() if self.open_ready is None else self.open_ready
