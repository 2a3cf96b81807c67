# One image for the four Sightline processes; docker-compose.yml picks the entry point per service.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts=false
COPY . .
RUN npm run build && npm run build:web --if-present && npm prune --omit=dev

FROM node:24-bookworm-slim
# ffmpeg for the media subgraph; util-linux's setpriv ties ffmpeg's life to its parent.
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg util-linux ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production SIGHTLINE_HOST=0.0.0.0
COPY --from=build /app /app
RUN mkdir -p /var/lib/sightline/hls /var/lib/sightline/recordings /var/lib/sightline/clips && chown -R node:node /var/lib/sightline
USER node
CMD ["node", "dist/gateway/src/main.js"]
