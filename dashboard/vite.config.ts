import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// `npm run build:dashboard`: the dashboard as static files in dashboard/dist, which the local
// dashboard function serves at /dashboard (functions/dashboard/handler.ts), locally and deployed.
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/dashboard/',
  plugins: [preact({ prerender: { enabled: false } })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // One small bundle: Preact and uPlot are the only dependencies.
    chunkSizeWarningLimit: 150,
    reportCompressedSize: false,
  },
  logLevel: 'warn',
});
