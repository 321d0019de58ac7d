# The sepwatch image: the daemon (`sepwatch run`) and the web UI (`sepwatch web`) of the production stack.
FROM python:3.11.10-slim-bookworm

# antiword converts legacy Word (.doc) TDocs; nothing else is needed at run time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends antiword \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/sepwatch --create-home sepwatch

WORKDIR /opt/sepwatch
COPY pyproject.toml README.md ./
COPY sepwatch ./sepwatch
COPY config ./config
COPY crawlers ./crawlers
COPY index ./index
COPY matcher ./matcher
COPY alerts ./alerts
COPY web ./web
COPY scheduler ./scheduler
RUN pip install --no-cache-dir '.[elasticsearch]'

USER sepwatch
ENV SEPWATCH_DATA_DIR=/var/lib/sepwatch \
    PYTHONUNBUFFERED=1
VOLUME ["/var/lib/sepwatch"]
ENTRYPOINT ["sepwatch"]
CMD ["run"]
