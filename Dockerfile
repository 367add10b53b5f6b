# syntax=docker/dockerfile:1
# ccd: the contact-center daemon that runs beside an Asterisk PBX.
#
#   docker build -t ccd .
#   docker run -d --name ccd --network host \
#     -v /etc/ccd:/etc/ccd:ro -v ccd-spool:/var/lib/ccd \
#     -e CCD_AMI_SECRET -e CCD_ARI_PASSWORD -e CCD_DATABASE_DSN ccd
#
# The image runs `ccd run -c /etc/ccd/ccd.toml` as the unprivileged user ccd (uid 10001).
# Any other subcommand works too:  docker run --rm ... ccd migrate -c /etc/ccd/ccd.toml
# The HEALTHCHECK asks 127.0.0.1:8080: with --network host keep [http] listen =
# "127.0.0.1:8080" and put a TLS reverse proxy in front for remote use (README, "TLS"); never
# listen on 0.0.0.0 or a public address without one (tokens and recordings go in clear text).

ARG PYTHON_IMAGE=python:3.11-slim

# ---- build: install the package (not editable) into a self-contained venv -------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/ccd/.venv
WORKDIR /src
# Only what the package build needs (see .dockerignore); README.md is the package's readme.
COPY pyproject.toml README.md ./
COPY ccd ./ccd
RUN /opt/ccd/.venv/bin/pip install --upgrade pip \
 && /opt/ccd/.venv/bin/pip install . \
 && /opt/ccd/.venv/bin/ccd version

# ---- runtime -------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="ccd" \
      org.opencontainers.image.description="Contact-center daemon beside Asterisk: ACD routing, supervision, rating IVR, event store, KPIs, metrics" \
      org.opencontainers.image.licenses="GPL-3.0-or-later"

RUN groupadd --system --gid 10001 ccd \
 && useradd --system --uid 10001 --gid ccd --home-dir /var/lib/ccd --no-create-home \
      --shell /usr/sbin/nologin ccd \
 && install -d -o ccd -g ccd -m 0750 /var/lib/ccd /var/lib/ccd/spool \
 && install -d -m 0755 /etc/ccd

# Same base image in both stages, so the venv's interpreter path stays valid.
COPY --from=build /opt/ccd/.venv /opt/ccd/.venv

ENV PATH=/opt/ccd/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

USER 10001:10001
# [database].spool_dir (default /var/lib/ccd/spool): events wait here while PostgreSQL is down.
VOLUME ["/var/lib/ccd"]
EXPOSE 8080

# No curl in the slim image: ask /healthz with the standard library.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=3).status == 200 else 1)"]

STOPSIGNAL SIGTERM
ENTRYPOINT ["ccd"]
CMD ["run", "-c", "/etc/ccd/ccd.toml"]
