# One image for web, worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=dispatch.settings

RUN apt-get update \
    && apt-get install -y --no-install-recommends libgeos-c1v5 curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10112 dispatch

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# collectstatic needs settings that import cleanly; these values are not used at run time
# (and "build-only" fails `check --deploy`, so it can never serve as the real key).
RUN DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput \
    && chown -R dispatch:dispatch /app
USER dispatch

EXPOSE 8000
# The web server only: compose runs the worker and beat as services of their own.
# X-Forwarded-For/-Proto are believed only from TRUSTED_PROXIES (the proxy's address, see compose).
# The static files were collected above (the image's files never change).
CMD ["python", "manage.py", "runsystem", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--web-only", "--skip-collectstatic"]
