# Build stage: install everything, compile TypeScript, keep only production dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev

# Runtime stage: compiled code and production dependencies only, as a non-root user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
COPY bin bin
COPY config config
RUN useradd --system --uid 10001 --home-dir /app gatehouse && mkdir -p /app/.gatehouse && chown gatehouse /app/.gatehouse
USER gatehouse
# DNS (UDP and TCP), the Mesos-DNS HTTP API, the gateway.
EXPOSE 8053/udp 8053/tcp 8123/tcp 8080/tcp
ENTRYPOINT ["./bin/gatehouse"]
CMD ["run", "--config", "config/container.yaml"]
