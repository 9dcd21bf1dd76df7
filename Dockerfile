# video-conformance in a container: `docker run IMAGE run ...` checks a provider,
# `docker run -p 8000:8000 IMAGE serve --host 0.0.0.0 --port 8000` serves the reference provider.
#
#   docker build -t video-conformance .
#   docker run --rm -v "$PWD/reports:/work/reports" video-conformance run --no-fuzz
#   docker run --rm -e ACME_API_KEY -v "$PWD:/work" video-conformance run --profile acme.toml
#
# The wheels of PyAV and Pillow bundle their native libraries, so the slim image needs no
# system packages.

FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY spec ./spec
COPY conformance ./conformance
RUN python -m pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
RUN python -m pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --create-home --uid 10001 conformance \
    && mkdir /work && chown conformance /work
USER 10001
# Reports go to /work/reports/<target>/: mount a host directory there to keep them.
WORKDIR /work
EXPOSE 8000
ENTRYPOINT ["video-conformance"]
CMD ["run"]
