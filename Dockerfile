# The mq broker as a container image: node:20 with the compiled CLI (bin/run.js) as `mq`, data in the volume /data.
# NOT built in CI (there is no Docker engine there); see docs/operations.md, "Docker".
#
#   docker build -t mq .
#   docker run -d --name mq -p 7070:7070 -v mq-data:/data mq
#   docker exec mq mq status

# --- build: compile TypeScript and better-sqlite3 (from source, hence python3, make and g++) ---------------------------
FROM node:20-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json oclif.manifest.json ./
COPY bin ./bin
COPY commands ./commands
COPY src ./src
RUN npm run build && npm prune --omit=dev

# --- runtime: same Debian release (the compiled addon links against its glibc), no compiler, not root ----------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/oclif.manifest.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
RUN ln -s /app/bin/run.js /usr/local/bin/mq \
 && mkdir /data \
 && chown node:node /data
# the image's unprivileged user (uid 1000); a volume mounted on /data must be writable by it
USER node
VOLUME /data
EXPOSE 7070
# `mq status` exits non-zero unless the broker answers and is serving (Docker wants 0 or 1)
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD mq status --json > /dev/null || exit 1
# node is PID 1: the broker handles SIGTERM (docker stop) itself and stops gracefully
CMD ["mq", "broker", "start", "--data-dir", "/data", "--listen", "0.0.0.0:7070"]
