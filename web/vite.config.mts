import { defineConfig } from 'vite';

// The gateway serves web/dist in production; in development Vite proxies the API to a local gateway.
const gateway = process.env.SIGHTLINE_GATEWAY ?? 'http://127.0.0.1:4000';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: true,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    proxy: {
      '/graphql': { target: gateway, ws: true, changeOrigin: true },
      '/hls': { target: gateway, changeOrigin: true },
    },
  },
});
