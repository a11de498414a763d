# recbot: a Matrix bot answering questions about Privacy Guides recommendations.
#
#   docker build -t recbot .
#   docker run -d --name recbot \
#     -v "$PWD/config.yaml:/config/config.yaml:ro" -v recbot-data:/data \
#     -e RECBOT_PASSWORD=... recbot
#
# Set storage.data_dir to "/data" in the config: the volume holds the session,
# the sync position and the encryption keys, and must outlive the container.

# -- build: install the package and its dependencies into a virtualenv -------------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/recbot
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
# The runtime dependencies only: no test or synapse extras.
RUN /opt/recbot/bin/pip install .

# -- runtime -----------------------------------------------------------------------
FROM python:3.11-slim

ENV PATH=/opt/recbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN groupadd --system --gid 10001 recbot \
 && useradd --system --uid 10001 --gid recbot --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin recbot \
 && mkdir -p /data /config \
 && chown recbot:recbot /data \
 && chmod 0700 /data

COPY --from=build /opt/recbot /opt/recbot

USER recbot
WORKDIR /data
VOLUME ["/data"]

# Healthy while the bot syncs (its /health endpoint answers 200). Needs metrics.enabled
# in the config; with metrics off, `recbot health` reports healthy without checking.
# A config mounted elsewhere: override with `docker run --health-cmd`.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["recbot", "health", "--config", "/config/config.yaml"]

ENTRYPOINT ["recbot"]
CMD ["run", "--config", "/config/config.yaml"]
