# Production image: gunicorn for the web, the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DOANSO_VAR_DIR=/var/lib/doanso
WORKDIR /app
# pg_dump / pg_restore for `manage.py backup` and `restore` (Debian 12's client is 15, like the compose server).
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic needs settings that load: a throwaway key and host only for this build step.
RUN DEBUG=0 SECRET_KEY=build-only-not-secret ALLOWED_HOSTS=build python manage.py collectstatic --noinput \
    && useradd --system --home /var/lib/doanso doanso && mkdir -p /var/lib/doanso && chown doanso /var/lib/doanso
USER doanso
EXPOSE 8000
CMD ["gunicorn", "doanso.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-"]
