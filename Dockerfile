# Build stage: install everything, type-check and bundle the TypeScript into dist/ (rolldown), keep only
# production dependencies (the packages dist/ loads at run time: see rolldown.config.mjs).
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev

# Runtime stage: the bundle and production dependencies only, as an unprivileged user.
FROM node:24-slim
# tini as PID 1: it reaps the processes of ended tasks (a plain PID 1 leaves them as zombies) and
# passes SIGTERM on to Gatehouse, which drains the gateway and stops its tasks.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
# glibc returns every allocation of 128 KiB or more to the system when it is freed (it otherwise
# raises that limit to the largest block freed, up to 32 MB, and keeps such blocks in its free
# lists): at 50,000 tasks the main process 55 MB smaller after a rebuild (bench/README.md "Scale").
ENV NODE_ENV=production LOG_FORMAT=json MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
COPY bin bin
COPY config config
RUN useradd --system --uid 10001 --home-dir /app gatehouse && mkdir -p /app/.gatehouse && chown gatehouse /app/.gatehouse
USER gatehouse
# DNS (UDP and TCP), the Mesos-DNS HTTP API, the gateway, and the ports tasks get (config/container.yaml).
EXPOSE 8053/udp 8053/tcp 8123/tcp 8080/tcp 31000-31099/tcp
# /health answers 200 while the cluster snapshot is fresh or stale, 503 otherwise.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "./bin/gatehouse"]
CMD ["run", "--config", "config/container.yaml"]
