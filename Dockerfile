# syntax=docker/dockerfile:1
#
# One production image for the API, the workers, the migrations (and, in compose, the LLM simulator);
# the command picks the role. The commands are those of package.json's start:api, start:worker and
# db:migrate without their build step (the image carries the bundles already):
#   API       node --max-semi-space-size=8 --heap-growing-percent=50 --no-parallel-scavenge apps/api/dist/server.mjs   (default)
#   worker    node --max-semi-space-size=8 --heap-growing-percent=50 --no-parallel-scavenge apps/worker/dist/server.mjs
#   migrate   node packages/db/src/migrate-cli.ts
#   admin     node apps/admin/src/main.ts tenants create acme   (npm run turnq's CLI: tenants, API keys)
# Configuration comes from the environment only (.env.example lists it); no .env is copied in.
#
#   docker build -t turnq .
ARG NODE_IMAGE=node:24-bookworm-slim

# The workspace manifests alone, so the dependency layers below are rebuilt only when they change.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY apps/admin/package.json apps/admin/
COPY apps/api/package.json apps/api/
COPY apps/console/package.json apps/console/
COPY apps/worker/package.json apps/worker/
COPY packages/client/package.json packages/client/
COPY packages/contract/package.json packages/contract/
COPY packages/core/package.json packages/core/
COPY packages/db/package.json packages/db/
COPY packages/llm/package.json packages/llm/
COPY packages/llm-simulator/package.json packages/llm-simulator/
COPY packages/queue/package.json packages/queue/
COPY packages/telemetry/package.json packages/telemetry/
COPY packages/tools/package.json packages/tools/

# Every dependency, to build the bundles (infra/bundle.ts, esbuild).
FROM manifests AS build
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build -w @turnq/api -w @turnq/worker -w @turnq/console

# Production dependencies only: the bundles still load some packages from node_modules at run time,
# and the migrations run from source.
FROM manifests AS prod-deps
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# MALLOC_ARENA_MAX: as npm run start:* sets it (README, Memory): glibc's malloc gives each of Node's
# threads an arena of its own, and the memory they keep raised the worker's RSS by 10-20 MiB.
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    HOST=0.0.0.0 \
    PORT=3000 \
    METRICS_HOST=0.0.0.0 \
    METRICS_PORT=9464
WORKDIR /app
# Files stay owned by root: the app user reads them and can change none of them.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY apps ./apps
COPY packages ./packages
COPY infra/container-healthcheck.ts ./infra/
COPY --from=build /app/apps/api/dist ./apps/api/dist
COPY --from=build /app/apps/worker/dist ./apps/worker/dist
# The web console the API serves at /console (static files, hashed names).
COPY --from=build /app/apps/console/dist ./apps/console/dist
# The node image's `node` user, by number so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 3000 9464
# The API answers /healthz on PORT, a worker on METRICS_PORT; the check asks the port that listens.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "infra/container-healthcheck.ts"]
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=50", "--no-parallel-scavenge", "apps/api/dist/server.mjs"]
