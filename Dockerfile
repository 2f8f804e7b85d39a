# Every service's image, built from the repository root:
#   docker build --build-arg SERVICE=order-service -t shop/order-service:0.1.0 .
# SERVICE is a workspace folder: api-gateway, user-service, order-service, product-service,
# inventory-service or service-registry. Compose and Kubernetes tag the result
# shop/<service>:<version of the root package.json>.
#
# Node 24 is an LTS line, supported until April 2028; the root package.json's engines and README
# say the same.
ARG NODE_IMAGE=node:24-alpine

FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
# npm ci checks package-lock.json against every workspace's package.json, so all the manifests
# are copied (and only them: a source edit must not invalidate the install layers).
COPY package.json package-lock.json ./
COPY packages/service-kit/package.json packages/service-kit/
COPY packages/contracts/package.json packages/contracts/
COPY packages/postgres/package.json packages/postgres/
COPY packages/testkit/package.json packages/testkit/
COPY packages/mongo-embedded/package.json packages/mongo-embedded/
COPY packages/messaging/package.json packages/messaging/
COPY packages/registry-client/package.json packages/registry-client/
COPY service-registry/package.json service-registry/
COPY user-service/package.json user-service/
COPY product-service/package.json product-service/
COPY inventory-service/package.json inventory-service/
COPY order-service/package.json order-service/
COPY api-gateway/package.json api-gateway/

FROM manifests AS build
# The whole workspace, development dependencies included: this layer does not depend on SERVICE,
# so the six images share it. No install script is needed to compile (the only one in the tree
# belongs to esbuild, a test-time tool).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.base.json ./
COPY packages packages
COPY service-registry service-registry
COPY user-service user-service
COPY product-service product-service
COPY inventory-service inventory-service
COPY order-service order-service
COPY api-gateway api-gateway
ARG SERVICE
# The service's tsconfig.build.json references the internal packages it imports, so tsc -b
# compiles exactly those, each before the ones that use it.
RUN test -f "${SERVICE}/tsconfig.build.json" || { echo "SERVICE=${SERVICE} is not a service folder" >&2; exit 1; } \
  && npx tsc -b "${SERVICE}/tsconfig.build.json"

FROM manifests AS runtime-files
ARG SERVICE
# Production dependencies of this one service. npm still links a workspace that is only a
# devDependency of a workspace (it flags devDependencies as such for the root alone), so the
# internal packages to keep are read from the "dependencies" of the service and of what they
# pull in; any other link is removed (the embedded MongoDB stand-in, a devDependency of
# product-service, among them).
RUN npm ci --workspace "@shop/${SERVICE}" --include-workspace-root=false --omit=dev \
  --ignore-scripts --no-audit --no-fund
# Each kept workspace gets its compiled dist and nothing else; the others keep only their
# package.json, which npm needs to read the lock file and the service never loads. (Paths are
# relative to WORKDIR, /app, so deploy/replay replays these steps in a scratch folder.)
COPY --from=build /app/packages ../build/packages
COPY --from=build /app/${SERVICE} ../build/${SERVICE}
RUN keep="$(node -e "const fs = require('fs'); const seen = new Set(); \
      const visit = (dir) => Object.keys(JSON.parse(fs.readFileSync(dir + '/package.json')).dependencies || {}) \
        .filter((name) => name.startsWith('@shop/') && !seen.has(name)) \
        .forEach((name) => { seen.add(name); visit(fs.realpathSync('node_modules/' + name)); }); \
      visit('${SERVICE}'); console.log([...seen, '@shop/${SERVICE}'].join(' '))")" \
  && for link in node_modules/@shop/*; do \
      dir="$(readlink "$link" | sed 's#^\.\./\.\./##')"; \
      case " $keep " in \
        *" @shop/$(basename "$link") "*) \
          cp -R "../build/$dir/dist" "$dir/dist" && rm -f "$dir/dist/.tsbuildinfo" ;; \
        *) rm "$link" ;; \
      esac; \
    done \
  && rm -rf ../build \
  && node -e "import('./${SERVICE}/dist/config.js').then((m) => console.log(m.configSchema.shape.PORT.parse(undefined)))" \
    > "${SERVICE}/.default-port"

FROM ${NODE_IMAGE}
ARG SERVICE
# tini as PID 1 forwards SIGTERM to node (which drains and exits on its own) and reaps zombies.
# npm, npx, yarn and corepack are not needed at run time: fewer files, fewer advisories.
RUN apk add --no-cache tini \
  && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-* \
    /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
    /usr/local/bin/yarn /usr/local/bin/yarnpkg
ENV NODE_ENV=production
# SERVICE_ENV of scripts/system/services.ts: ignored by Alpine's musl, it keeps a glibc base
# (node:24-slim) from holding a malloc arena per thread.
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
# Owned by root: the service only reads its code, as user node (uid 1000, the runAsUser of the
# Kubernetes manifests).
COPY --from=runtime-files /app ./
WORKDIR /app/${SERVICE}
USER node
# /health on PORT, or on the service's default port (read from its config schema at build time)
# when PORT is unset, as under a bare `docker run`.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const port=process.env.PORT||require('fs').readFileSync('.default-port','utf8').trim();fetch('http://127.0.0.1:'+port+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/sbin/tini", "--"]
# The V8 flags are SERVICE_NODE_FLAGS of scripts/system/services.ts, which says why (a small
# young generation, an old one collected sooner: half the resident memory under load). They go
# here, not in NODE_OPTIONS, which refuses --heap-growing-percent.
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=50", "dist/main.js"]
