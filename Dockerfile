# syntax=docker/dockerfile:1
#
# The chat-ops bot's image: one image, two roles.
#   docker build -t registry.example.com/chatops-bot:0.1.0 .
#   docker run … registry.example.com/chatops-bot:0.1.0            # API role: `chatops serve`
#   docker run … registry.example.com/chatops-bot:0.1.0 worker     # worker role: `chatops worker`
# ENTRYPOINT is the CLI (src/cli/chatops.js) and CMD its subcommand, so any other
# subcommand works too (`… config check /etc/chatops/config/config.yaml`, `… rbac`).
# The image runs the production build (scripts/build.sh: the same sources compiled to
# JavaScript, no type stripping at run time) with a small V8 young generation; both keep the
# idle API process near 110 MB instead of 160 (bench P5 measures exactly this command).
# See docs/deploy.md.

# The Node major the project runs on (package.json engines: >=24 <25). Pin a digest in
# production: --build-arg NODE_IMAGE=node:24.21.0-slim@sha256:…
ARG NODE_IMAGE=node:24.21.0-slim

# --- deps: production dependencies only, from the lockfile ----------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=dev leaves out the test tools and the `node` package (the local Node); the image has
# its own. --ignore-scripts: no install script runs (package.json's allowScripts allows none
# that production needs; msgpackr falls back to pure JavaScript without its native extension).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# --- build: the sources compiled to JavaScript (scripts/build.sh) -------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# All dependencies (TypeScript is a dev one); no install script runs, so the image's own Node
# compiles (the `node` package's binary is not fetched).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.sh ./scripts/build.sh
COPY commands ./commands
COPY src ./src
COPY deploy/config.example.yaml ./deploy/config.example.yaml
RUN bash scripts/build.sh /app/dist

# --- runtime ------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOME=/tmp \
    CHATOPS_CONFIG=/etc/chatops/config/config.yaml
WORKDIR /app
# Owned by root and read-only to the bot's user: the process cannot change its own code.
COPY --from=deps /app/node_modules ./node_modules
# The build: src/ and commands/ as JavaScript, the console's static files, package.json, and
# the embedded defaults (`chatops config check` and friends fall back to them).
COPY --from=build /app/dist ./
# A numeric, non-root user with no entry in /etc/passwd: Kubernetes' runAsNonRoot can check a
# number, not a name. The root filesystem can be read-only: the bot writes nothing but logs to
# stdout and stderr (and, at most, temporary files under /tmp, an emptyDir in the manifests).
USER 10001:10001
EXPOSE 8080
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz (deploy/kubernetes/40-api.yaml).
# --max-semi-space-size=2 (MB): V8 otherwise grows the young generation to 64 MB during start-up
# and keeps it; the bot allocates little per request, so a small one costs nothing measurable.
ENTRYPOINT ["node", "--max-semi-space-size=2", "src/cli/chatops.js"]
CMD ["serve"]
