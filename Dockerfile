# syntax=docker/dockerfile:1
# The call tracking mock: `docker build -t calltracking-mock . && docker run -p 8080:8080 calltracking-mock`
FROM python:3.11.7-slim-bookworm AS build
WORKDIR /src
RUN pip install --no-cache-dir build==1.2.2.post1
COPY pyproject.toml README.md openapi.yaml ./
COPY mockserver ./mockserver
COPY fixtures ./fixtures
RUN python -m build --wheel --outdir /dist

FROM python:3.11.7-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MOCKSERVER_HOST=0.0.0.0 \
    MOCKSERVER_PORT=8080
COPY --from=build /dist/*.whl /tmp/
RUN pip install --no-cache-dir /tmp/*.whl && rm /tmp/*.whl \
    && useradd --system --uid 10001 --no-create-home mock
USER 10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8080/__mock/health', timeout=2); sys.exit(0)"]
CMD ["mockserver", "serve"]
