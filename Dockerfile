# One image for every Likely service; the command picks the service.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends wordnet-base curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
COPY sandbox ./sandbox
COPY scripts ./scripts
# The assets extra (torch, onnx) is only needed to export the labeler model at build time.
RUN pip install --no-cache-dir -e '.[assets]' \
 && python -m shared.labeling.build_assets \
 && python -m sandbox.instagram.make_demo \
 && pip uninstall -y torch onnx
ENV LIKELY_DATA_DIR=/app/var
CMD ["python", "-m", "services.gateway"]
