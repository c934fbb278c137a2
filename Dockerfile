# po-intake in a container: Debian slim, the ONNX Runtime library from the same PyPI wheel
# scripts/setup installs (onnxruntime==1.31.1), the model included, a non-root user, the data
# folder on a volume. Build and run (README "Running it in production"):
#   docker build -t po-intake .
#   docker run -v po-intake-data:/data -p 8080:8080 po-intake serve --listen 0.0.0.0:8080
# Not built in CI: the build machine has no Docker daemon.

FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked \
 && strip target/release/po-intake

# The shared library out of the wheel (a zip); pip only downloads it, nothing is installed.
FROM python:3.11-slim-bookworm AS ort
ARG ORT_VERSION=1.31.1
RUN pip download --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64 \
        --python-version 3.11 "onnxruntime==${ORT_VERSION}" -d /wheel \
 && python -c "import zipfile, glob, os; z = zipfile.ZipFile(glob.glob('/wheel/*.whl')[0]); \
n = [m for m in z.namelist() if '/capi/libonnxruntime.so' in m]; os.makedirs('/ort', exist_ok=True); \
[open('/ort/' + os.path.basename(m), 'wb').write(z.read(m)) for m in n]" \
 && ls -l /ort

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /data --shell /usr/sbin/nologin po-intake \
 && mkdir -p /opt/po-intake/models /data && chown po-intake /data
COPY --from=build /src/target/release/po-intake /opt/po-intake/po-intake
COPY --from=ort /ort/ /opt/po-intake/lib/
COPY models/model.onnx models/model.json models/tokenizer.json /opt/po-intake/models/
COPY config/po-intake.toml /etc/po-intake/po-intake.toml
ENV PO_INTAKE_DATA_DIR=/data
WORKDIR /opt/po-intake
USER po-intake
VOLUME ["/data"]
EXPOSE 8080
# The binary finds libonnxruntime.so.* in lib/ beside it, and models/ in the working folder.
ENTRYPOINT ["/opt/po-intake/po-intake", "--config", "/etc/po-intake/po-intake.toml"]
CMD ["serve", "--listen", "0.0.0.0:8080"]
