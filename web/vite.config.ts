/**
 * Builds the console into web/dist, which the Airlock server serves at `/`. `npm run dev:web`
 * serves it with hot reload and forwards the API to a running Airlock (AIRLOCK_URL, default the
 * quickstart's address).
 */

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const airlock = process.env.AIRLOCK_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: { '/v1': { target: airlock, changeOrigin: false } },
  },
  preview: { host: '127.0.0.1', port: 4173, proxy: { '/v1': { target: airlock } } },
});
