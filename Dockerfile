# The suite as a container image: non-root, read-only root filesystem friendly.
#   docker build -t ghcr.io/your-org/vantiq-health:0.1.0 .
#   docker run --rm -v ~/.kube/config:/kube/config:ro -v "$PWD/reports:/reports" \
#     ghcr.io/your-org/vantiq-health:0.1.0 --kubeconfig /kube/config --namespace prod
# Arguments are pytest's (README, "Options"); reports go to /reports (mount a volume there);
# nothing else is written but /tmp (mount an emptyDir there with readOnlyRootFilesystem).
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY vantiq_health ./vantiq_health
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check .

FROM python:3.11-slim-bookworm
RUN groupadd --gid 10001 vantiq-health \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin vantiq-health \
 && mkdir /reports && chown 10001:10001 /reports
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY pyproject.toml conftest.py ./
COPY checks ./checks
COPY fixtures ./fixtures
COPY deploy/image/entrypoint.sh /usr/local/bin/vantiq-health
ENV PATH=/opt/venv/bin:$PATH \
    HOME=/tmp \
    PYTHONUNBUFFERED=1 \
    PYTHONPYCACHEPREFIX=/tmp/pycache \
    VANTIQ_HEALTH_APP=/app \
    VANTIQ_HEALTH_REPORT_DIR=/reports
USER 10001:10001
VOLUME ["/reports"]
ENTRYPOINT ["/usr/local/bin/vantiq-health"]
