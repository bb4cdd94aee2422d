import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// `npm run build:dashboard`: the dashboard as static files in dashboard/dist, which the local
// dashboard function serves at /dashboard (functions/dashboard/handler.ts), locally and deployed.
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  // Relative URLs: the page is at <API>/dashboard, and the API is not always at its host's
  // root (a REST API's stage, an emulator's path-style URL). The page links its files as
  // dashboard/assets/..., the files each other by their own place.
  base: './',
  experimental: {
    renderBuiltUrl: (filename, { hostType }) => (hostType === 'html' ? `dashboard/${filename}` : { relative: true }),
  },
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
