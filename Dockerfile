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

# The health check follows the port `serve` was given: the shell reads serve's command line from /proc/1/cmdline
# (Deno reads /proc/<pid>/ files only with --allow-all) and hands it to deploy/healthcheck.ts as arguments.
# CANDLECAST_HEALTH_CMDLINE (unset here) lets deploy/deploy_test.ts run this very line on a file of its own.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["sh", "-c", "exec deno run --allow-net=127.0.0.1 deploy/healthcheck.ts $(tr '\\000' ' ' < \"${CANDLECAST_HEALTH_CMDLINE:-/proc/1/cmdline}\")"]

ENTRYPOINT ["deno", "run", "--allow-read", "--allow-write", "--allow-net", "--allow-env", "--allow-ffi", "--allow-sys", "--allow-run", "main.ts"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
