# syntax=docker/dockerfile:1
# The call tracking mock as a container. README "Docker" shows build, run and compose.
# Stage "requirements" lists the pinned runtime dependencies, stage "build" makes the wheel,
# stage "runtime" installs both into a clean slim image: no source tree, build tools or
# caches ship in it.

# The runtime dependencies exactly as pinned in pyproject.toml. Only this file feeds the
# dependency layer, so it is rebuilt when the pins change, not on every edit of the source.
FROM python:3.11.7-slim-bookworm AS requirements
WORKDIR /src
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt

FROM python:3.11.7-slim-bookworm AS build
WORKDIR /src
RUN pip install --no-cache-dir build==1.6.1
COPY pyproject.toml README.md openapi.yaml ./
COPY fixtures ./fixtures
COPY mockserver ./mockserver
RUN python -m build --wheel --outdir dist

FROM python:3.11.7-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN --mount=type=bind,from=requirements,source=/src/requirements.txt,target=/tmp/requirements.txt \
    pip install --no-cache-dir -r /tmp/requirements.txt
# The package itself, with its spec and fixtures inside; its dependencies are all present.
RUN --mount=type=bind,from=build,source=/src/dist,target=/tmp/dist \
    pip install --no-cache-dir /tmp/dist/*.whl
RUN groupadd --system --gid 10001 mock \
    && useradd --system --uid 10001 --gid mock --no-create-home --shell /usr/sbin/nologin mock
# Every option is a MOCKSERVER_* variable (`mockserver serve --help` lists them all);
# override any of them with `docker run -e NAME=value`.
ENV MOCKSERVER_HOST=0.0.0.0 \
    MOCKSERVER_PORT=8080 \
    MOCKSERVER_LOG_FORMAT=json
USER 10001:10001
EXPOSE 8080
# SIGTERM: stop accepting, finish in-flight requests (up to MOCKSERVER_GRACE, 5 s), exit 0.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --timeout=3s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/__mock/health' % os.environ.get('MOCKSERVER_PORT', '8080'), timeout=2)"]
CMD ["mockserver", "serve"]
