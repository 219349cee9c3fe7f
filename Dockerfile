# Production image: gunicorn serves the app; migrations run at start.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    IDP_ENVIRONMENT=production

WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .

# collectstatic needs a SECRET_KEY to import the settings; this one is used
# for that command only and never at run time.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input

RUN useradd --system --home /app idp && chown -R idp /app
USER idp

EXPOSE 8000
CMD ["sh", "-c", "python manage.py migrate --no-input && exec gunicorn idp.wsgi:application --bind 0.0.0.0:8000 --workers 2 --threads 4 --access-logfile -"]
