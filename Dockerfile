# syntax=docker/dockerfile:1
#
# The chat-ops bot's image: one image, two roles.
#   docker build -t registry.example.com/chatops-bot:0.1.0 .
#   docker run … registry.example.com/chatops-bot:0.1.0            # API role: `chatops serve`
#   docker run … registry.example.com/chatops-bot:0.1.0 worker     # worker role: `chatops worker`
# ENTRYPOINT is the CLI (node src/cli/chatops.ts) and CMD its subcommand, so any other
# subcommand works too (`… config check /etc/chatops/config/config.yaml`, `… rbac`).
# Node runs the TypeScript sources directly (type stripping): there is no build step, and the
# image holds the same files that the tests run. See docs/deploy.md.

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

# --- runtime ------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOME=/tmp \
    CHATOPS_CONFIG=/etc/chatops/config/config.yaml
WORKDIR /app
# Owned by root and read-only to the bot's user: the process cannot change its own code.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY commands ./commands
COPY src ./src
# The embedded defaults (`chatops config check` and friends fall back to them).
COPY deploy/config.example.yaml ./deploy/config.example.yaml
# A numeric, non-root user with no entry in /etc/passwd: Kubernetes' runAsNonRoot can check a
# number, not a name. The root filesystem can be read-only: the bot writes nothing but logs to
# stdout and stderr (and, at most, temporary files under /tmp, an emptyDir in the manifests).
USER 10001:10001
EXPOSE 8080
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz (deploy/kubernetes/40-api.yaml).
ENTRYPOINT ["node", "src/cli/chatops.ts"]
CMD ["serve"]
