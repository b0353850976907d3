# One image for every Likely service; the command picks the service.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends wordnet-base curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
COPY sandbox ./sandbox
COPY scripts ./scripts
COPY deploy/amqp_probe.py ./deploy/amqp_probe.py
# The assets extra (torch, onnx) is only needed to export the labeler model at build time.
RUN pip install --no-cache-dir -e '.[assets]' \
 && python -m shared.labeling.build_assets \
 && python -m sandbox.instagram.make_demo \
 && pip uninstall -y torch onnx
ENV LIKELY_DATA_DIR=/app/var PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# Run as a non-root user; the code and generated assets stay root-owned and read-only to it.
# The only place a service writes under the data dir is run/ (the gateway's Prometheus
# files): owned by the user here, an emptyDir in Kubernetes (read-only root filesystem).
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin likely \
 && mkdir -p /app/var/run && chown 10001:10001 /app/var/run
USER 10001
CMD ["python", "-m", "services.gateway"]
