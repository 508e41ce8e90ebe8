# syntax=docker/dockerfile:1
# lbipam controller image. Build from the repository root: `docker build -t lbipam/controller .`
# Node 24, the active LTS (Node 20 reached end of life in April 2026, 22 is in maintenance);
# CI runs every test on it too. Bases are pinned by digest (their multi-arch index, as
# public Dockerfiles pinned them); refresh with `docker buildx imagetools inspect IMAGE`.

# --- build: every dependency, then the controller and the packages it imports -------------
FROM node:24-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df AS build
WORKDIR /src
ENV TURBO_TELEMETRY_DISABLED=1
# The manifests first, so the `npm ci` layer is reused while only sources change. npm ci needs
# every workspace named in the lockfile.
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY packages/allocator/package.json packages/allocator/
COPY packages/api/package.json packages/api/
COPY packages/apiserver/package.json packages/apiserver/
COPY packages/state/package.json packages/state/
COPY apps/controller/package.json apps/controller/
COPY apps/kubectl-lbipam/package.json apps/kubectl-lbipam/
COPY bench/package.json bench/
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY packages packages
COPY apps apps
RUN npx turbo run build --filter=@lbipam/controller... --output-logs=errors-only

# --- production: the controller's production dependencies and its build, nothing else ------
FROM node:24-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df AS production
WORKDIR /app
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/packages/allocator/package.json packages/allocator/
COPY --from=build /src/packages/api/package.json packages/api/
COPY --from=build /src/packages/apiserver/package.json packages/apiserver/
COPY --from=build /src/packages/state/package.json packages/state/
COPY --from=build /src/apps/controller/package.json apps/controller/
COPY --from=build /src/apps/kubectl-lbipam/package.json apps/kubectl-lbipam/
COPY --from=build /src/bench/package.json bench/
# Only the controller workspace and the workspaces it depends on get their dependencies; the
# embedded API server is a development dependency (`lbipam start` and `lbipam apiserver`), so
# neither it nor its own dependencies are installed. The npm cache stays in a BuildKit cache
# mount, out of the image.
RUN --mount=type=cache,target=/root/.npm \
  npm ci --omit=dev --workspace=@lbipam/controller --no-audit --no-fund
COPY --from=build /src/packages/allocator/dist/src packages/allocator/dist/src
COPY --from=build /src/packages/api/dist/src packages/api/dist/src
COPY --from=build /src/packages/state/dist/src packages/state/dist/src
COPY --from=build /src/apps/controller/dist/src apps/controller/dist/src
COPY --from=build /src/apps/controller/bin apps/controller/bin

# --- runtime: Debian and the node binary; no npm, no corepack, no compiler, no sources ------
FROM debian:trixie-slim@sha256:a29215f6a35e51e22adffa17f89e9d2ef06214e64a2bad10d765c46aea49f11f AS runtime
ENV NODE_ENV=production
COPY --from=production /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=production /app ./
# Numeric, so Kubernetes can check runAsNonRoot.
USER 1000:1000
# /metrics; /healthz and /readyz on 8081 where --health-listen puts them (deploy/deployment.yaml).
EXPOSE 9464 8081
# V8 grows the heap by 30% over what the last collection kept (its default lets it grow
# to several times that, mostly start-up garbage it collects late): with 100,000 Services
# the controller stays under 400 MiB resident on Node 20 (docs/benchmarks.md, rss-100k).
# Node 24's V8 sizes the young generation from the heap cap (128 MiB here, against
# Node 20's 32): held at Node 20's 16 MiB a semi-space, 50 MiB less resident at 100,000.
ENTRYPOINT ["node", "--heap-growing-percent=30", "--max-semi-space-size=16", "apps/controller/bin/lbipam.js", "controller"]
CMD ["--metrics-listen=0.0.0.0:9464"]
