# TaskApp backend: `taskapp serve` on 0.0.0.0:8000, every setting from TASKAPP_* variables.
# Build from the repository root:
#   docker build -f deploy/taskapp/backend.Dockerfile -t taskapp-backend .
# Runs as uid 10001 with a read-only root file system (nothing is written at run time:
# bytecode is compiled at build time and the database is PostgreSQL).
# Base pinned by exact tag; pin by digest too (`python:3.11.14-slim-bookworm@sha256:...`) when
# you build, as no Docker engine was available where this file was written.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never
RUN pip install uv==0.13.9
WORKDIR /src
# Dependencies first (cached while only the source changes), then the project itself.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY src ./src
RUN uv sync --frozen --no-dev --no-editable

FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 taskapp \
 && useradd --system --uid 10001 --gid taskapp --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin taskapp
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TASKAPP_HOST=0.0.0.0 \
    TASKAPP_PORT=8000 \
    TASKAPP_SERVE_FRONTEND=false
USER 10001:10001
EXPOSE 8000
# Probes: liveness GET /healthz, readiness GET /readyz (Kubernetes ignores HEALTHCHECK).
ENTRYPOINT ["taskapp"]
CMD ["serve"]
