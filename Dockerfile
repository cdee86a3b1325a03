# One image for the web server, the Celery worker and Celery beat (see docker-compose.yml).

FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY marketplace/assets marketplace/assets
RUN npm run --silent build

FROM python:3.13-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 VAR_DIR=/var/lib/mixedmarket
WORKDIR /app
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY . .
COPY --from=assets /src/marketplace/static/govuk marketplace/static/govuk
RUN useradd --system --home /app mixedmarket && mkdir -p "$VAR_DIR" && chown mixedmarket "$VAR_DIR"
USER mixedmarket
# collectstatic needs settings but no database or broker; production values are given at run time.
RUN DEBUG=true python manage.py collectstatic --no-input
EXPOSE 8000
CMD ["gunicorn", "marketplace.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
