# thread-ledger: one image for the service (serve), the deletion worker and the key service.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
# better-sqlite3 compiles here (python3, make and g++ are in this image).
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production LEDGER_DATA_DIR=/var/lib/thread-ledger
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Named volumes mounted here take this owner: the service does not run as root.
RUN mkdir -p /var/lib/thread-ledger /var/lib/thread-ledger-rollouts \
 && chown node:node /var/lib/thread-ledger /var/lib/thread-ledger-rollouts
USER node
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["serve"]
