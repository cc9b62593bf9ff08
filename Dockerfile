# traffoflex image for the production layout in docs/DEPLOY.md (one image, every role).
# Build: docker build -t traffoflex .   Run: docker run … traffoflex serve --role=traffic
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The admin UI (Vite) is built here; the runtime image needs no dev dependencies.
RUN node scripts/build-web.mjs --force && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production DATA_DIR=/data HOST=0.0.0.0 PORT=3000
COPY --from=build /app /app
VOLUME /data
EXPOSE 3000
# tsx is a runtime dependency: the TypeScript sources run as they are in the repository.
ENTRYPOINT ["node", "--import", "tsx", "src/main.ts"]
CMD ["serve"]
