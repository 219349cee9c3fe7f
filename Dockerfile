# Production image: gunicorn serves the app; migrations run at start.
#
# dlib is built from source against OpenBLAS in a builder stage, because the
# prebuilt dlib-bin wheel has no BLAS and its face descriptor is several
# times slower (docs/benchmarks.md). The build took about 8 minutes on two
# cores. clang compiles it, as `make dlib-blas` does: with Debian 12's GCC 12
# the HOG face search was twice as slow.
FROM python:3.12-slim AS build

RUN apt-get update \
    && apt-get install -y --no-install-recommends cmake clang libopenblas-dev liblapack-dev \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /venv
ENV PATH=/venv/bin:$PATH

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt \
    && pip uninstall -y dlib-bin \
    && CC=clang CXX=clang++ pip install --no-cache-dir --no-binary dlib dlib==20.0.1


FROM python:3.12-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends libopenblas0 liblapack3 \
    && rm -rf /var/lib/apt/lists/*

# OpenBLAS would start one thread per core in every request; gunicorn's
# workers and threads already spread requests over the cores.
ENV PATH=/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    IDP_ENVIRONMENT=production \
    OPENBLAS_NUM_THREADS=1

COPY --from=build /venv /venv

WORKDIR /app
COPY . .

# Production settings refuse to load without SECRET_KEY and
# FACE_TEMPLATE_KEYS; these placeholders serve collectstatic only and are
# not in the image's environment at run time.
RUN SECRET_KEY=collectstatic-only FACE_TEMPLATE_KEYS=collectstatic-only \
    python manage.py collectstatic --no-input

RUN useradd --system --home /app idp && chown -R idp /app
USER idp

EXPOSE 8000
CMD ["sh", "-c", "python manage.py migrate --no-input && exec gunicorn idp.wsgi:application --bind 0.0.0.0:8000 --workers 2 --threads 4 --access-logfile -"]
