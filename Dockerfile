# syntax=docker/dockerfile:1
# One image for every Node service of the platform (subgraphs, workers, router, RGS, migrations).
# docker-compose.yml picks the process per service with `command`; the default runs the
# all-in-one local launcher (`npm start`).
#
#   docker build -t rgb-platform .

ARG NODE_IMAGE=node:24-bookworm-slim

# --- manifests: only what `npm ci` reads, so the dependency layer is rebuilt only when a
# package.json or the lockfile changes, not on every source edit.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json ! -name .npmrc -delete \
 && find . -mindepth 1 -type d -empty -delete

# --- app
FROM ${NODE_IMAGE} AS app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false \
    TURBO_TELEMETRY_DISABLED=1
WORKDIR /app

# Dependencies (dev ones included: services run TypeScript through tsx). Install scripts wait
# until the source is in place: the root postinstall generates the Prisma client and GraphQL
# types from prisma/ and the subgraph schemas.
COPY --from=manifests /src/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts

COPY . .
RUN npm rebuild \
 && npm run postinstall --if-present

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PATH=/app/node_modules/.bin:$PATH

# The source stays root-owned and read-only to the service; tsx caches under /tmp.
USER node

CMD ["tsx", "apps/platform/src/index.ts"]
