# One image for every Proofline role: the compose services (docker-compose.yml) differ only in the command
# they pass to the entrypoint (`proofline gateway`, `relay`, `project <name>`, `anchor`, `deadlines`...).

# The browser console (gateways/console/) is built by vite, a devDependency: in a stage of its own, so the
# image keeps --omit=dev and receives only the built files.
FROM node:20-bookworm-slim AS console
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY gateways/console ./gateways/console
RUN npm run console:build

FROM node:20-bookworm-slim

WORKDIR /app

# The dependencies first, so a change to the sources reuses this layer. --omit=dev is enough: tsx, which
# runs the .ts sources (bin/proofline.js), is a runtime dependency, and nothing the CLI imports comes from a
# devDependency (infra/local/compose-file.unit.spec.ts checks both).
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .
COPY --from=console /app/gateways/console/dist ./gateways/console/dist

# The data directory (PROOFLINE_DATA_DIR, default ./.proofline) must be writable by the user the roles run
# as: the first gateway writes admin.key there. Sources stay root-owned, so a role cannot rewrite its code.
RUN mkdir -p /app/.proofline && chown node:node /app/.proofline
USER node

# No HEALTHCHECK here: the roles differ (only a gateway serves /readyz), so each compose service has its own.
ENTRYPOINT ["node", "bin/proofline.js"]
CMD ["help"]
