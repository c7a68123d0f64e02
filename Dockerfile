# candlecast serve in a container: the official Deno image (Debian, for onnxruntime-node's glibc binaries),
# dependencies locked by deno.lock, a non-root user, port 8000 and a health check on GET /health.
#   docker build -t candlecast .
#   docker run -d -p 8000:8000 -v "$PWD/checkpoints:/app/checkpoints" -e CANDLECAST_API_KEY=... candlecast
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

HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["deno", "eval", "const r = await fetch('http://127.0.0.1:8000/health'); Deno.exit(r.ok ? 0 : 1)"]

ENTRYPOINT ["deno", "run", "--allow-read", "--allow-write", "--allow-net", "--allow-env", "--allow-ffi", "--allow-sys", "--allow-run", "main.ts"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
