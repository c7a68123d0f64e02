# candlecast serve in a container: the official Deno image (Debian, for onnxruntime-node's glibc binaries),
# dependencies locked by deno.lock, a non-root user, Deno permissions narrowed per command (never -A), port 8000
# and a health check on GET /health.
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

# Deno's permissions, by command (deploy/docker-entrypoint.sh picks one and starts `deno run` with it; serve's
# workers and retrain's steps get the same set). deploy/deploy_test.ts starts serve with exactly the serve set.
# - serve: reads /app (code, node_modules, checkpoints) and /tmp; writes only data/ (the predictions log) and
#   /tmp (the workers' shared counters); listens on 0.0.0.0 (any port); FFI only for ONNX Runtime's binding in
#   node_modules; runs only deno (its workers); no --allow-sys.
# - everything else (retrain, train, collect, models, monitor, export): read and write unscoped, because
#   Deno.symlink, which switches checkpoints/current atomically, refuses path-scoped grants; the network only
#   to Binance's two market-data hosts and 127.0.0.1 (demo serves its model there; another collect --base-url:
#   add its host here or with `-e CANDLECAST_COMMAND_PERMISSIONS=…`). The image has no native training kernels
#   (.dockerignore), so no FFI beyond ONNX Runtime's. The entry point adds --no-prompt to either set.
# Environment: only the variables candlecast reads (its own CANDLECAST_* names).
ENV CANDLECAST_SERVE_PERMISSIONS="--allow-read=/app,/tmp --allow-write=/app/data,/tmp --allow-net=0.0.0.0 --allow-env=CANDLECAST_API_KEY,CANDLECAST_WORKER,CANDLECAST_METRICS_DIR,CANDLECAST_FALLBACK_VERSION,CANDLECAST_PARENT_PID,CANDLECAST_DEBUG,CANDLECAST_NATIVE_KERNELS,CANDLECAST_DENO_PERMISSIONS --allow-ffi=/app/node_modules --allow-run=deno" \
  CANDLECAST_COMMAND_PERMISSIONS="--allow-read --allow-write --allow-net=api.binance.com,data-api.binance.vision,127.0.0.1 --allow-env=CANDLECAST_API_KEY,CANDLECAST_WORKER,CANDLECAST_METRICS_DIR,CANDLECAST_FALLBACK_VERSION,CANDLECAST_PARENT_PID,CANDLECAST_DEBUG,CANDLECAST_NATIVE_KERNELS,CANDLECAST_DENO_PERMISSIONS --allow-ffi=/app/node_modules --allow-run=deno"

ENTRYPOINT ["deploy/docker-entrypoint.sh"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
