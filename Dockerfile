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

# --- build: every dependency (dev ones too), the generated code, the compiled entries; then
# node_modules pruned to production dependencies only.
FROM ${NODE_IMAGE} AS build
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false \
    TURBO_TELEMETRY_DISABLED=1
WORKDIR /app

# Install scripts wait until the source is in place: the root postinstall generates the Prisma
# client and GraphQL types from prisma/ and the subgraph schemas.
COPY --from=manifests /src/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts

COPY . .
RUN npm rebuild \
 && npm run postinstall --if-present \
 && npm run build \
 && npm prune --omit=dev --ignore-scripts

# --- app: the compiled JavaScript (src/x.ts -> dist/x.js) on plain node, production
# dependencies only; no TypeScript loader is installed.
FROM ${NODE_IMAGE} AS app
WORKDIR /app
COPY --from=build /app ./

ENV NODE_ENV=production \
    HOST=0.0.0.0

# Everything stays root-owned and read-only to the service.
USER node

CMD ["node", "--import", "./packages/kit/dist/tracing-register.js", "apps/platform/dist/index.js"]
