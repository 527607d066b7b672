# Production image: several stateless workers, migrations on start, PostgreSQL from the env.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PORTAL_ENV=production PORTAL_DATA_DIR=/data WEB_CONCURRENCY=4

# WeasyPrint needs Pango/HarfBuzz; fonts-dejavu covers Vietnamese.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    libharfbuzz-subset0 libffi8 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 portal \
 && mkdir -p /data && chown portal:portal /data

WORKDIR /srv/portal
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY templates ./templates
RUN pip install -e . && chown -R root:root /srv/portal

USER portal
EXPOSE 8000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status == 200 else 1)"
# PORTAL_DATABASE_URL (postgresql://…) and PORTAL_SECRET_KEY must be set; `serve` migrates first.
# Behind a reverse proxy set PORTAL_TRUSTED_PROXIES to its address (docs/DEPLOY.md): `serve`
# ignores X-Forwarded-For from anybody else and sends no Server banner.
CMD ["sh", "-c", "exec portal serve --host 0.0.0.0 --port 8000 --workers ${WEB_CONCURRENCY}"]
