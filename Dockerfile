# candlecast serve in a container: the official Deno image (Debian, for onnxruntime-node's glibc binaries),
# dependencies locked by deno.lock, a non-root user, port 8000 and a health check on GET /health.
#   docker build -t candlecast .
#   docker run -d -p 8000:8000 -v "$PWD/checkpoints:/app/checkpoints" -e CANDLECAST_API_KEY=... candlecast
# Any command runs the same way: `docker run --rm -v … candlecast retrain --mode weekly` (docs/deployment.md).
FROM denoland/deno:debian-2.9.6

WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip NO_COLOR=1

COPY deno.json deno.lock ./
RUN deno install --frozen

COPY . .
RUN deno cache main.ts \
  && mkdir -p data checkpoints \
  && chown -R deno:deno data checkpoints

USER deno
EXPOSE 8000
VOLUME ["/app/checkpoints", "/app/data"]

# The health check follows the port `serve` was given (deploy/healthcheck.ts reads it from /proc/1/cmdline).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["deno", "run", "--allow-read=/proc/1/cmdline", "--allow-net=127.0.0.1", "deploy/healthcheck.ts"]

ENTRYPOINT ["deno", "run", "--allow-read", "--allow-write", "--allow-net", "--allow-env", "--allow-ffi", "--allow-sys", "--allow-run", "main.ts"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
