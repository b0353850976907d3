# One image for every Likely service; the command picks the service.
#
# Stage 1 builds the generated assets (the labeler's ONNX model, the demo Instagram account)
# with the `assets` extra. torch comes from PyTorch's CPU index: PyPI's default Linux wheel is
# a CUDA build of several GB, and nothing here runs on a GPU.
FROM python:3.11-slim AS assets
RUN apt-get update && apt-get install -y --no-install-recommends wordnet-base && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
COPY sandbox ./sandbox
ENV LIKELY_DATA_DIR=/app/var
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu -e '.[assets]' \
 && python -m shared.labeling.build_assets \
 && python -m sandbox.instagram.make_demo

# Stage 2, what runs: the runtime dependencies only (no torch, no onnx) and the assets.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends wordnet-base curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
COPY sandbox ./sandbox
COPY scripts ./scripts
RUN pip install --no-cache-dir -e .
COPY --from=assets /app/var /app/var
ENV LIKELY_DATA_DIR=/app/var PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOME=/tmp
# Run as a non-root user; the code and generated assets stay root-owned and read-only to it.
# A service writes only to run/ under the data dir (the gateway's Prometheus files) and to
# HOME=/tmp (gunicorn's control socket, onnxruntime): owned by the user / world-writable
# here, emptyDirs in Kubernetes (read-only root filesystem, checked by tests/deploy).
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin likely \
 && mkdir -p /app/var/run && chown 10001:10001 /app/var/run
USER 10001
CMD ["python", "-m", "services.gateway"]
