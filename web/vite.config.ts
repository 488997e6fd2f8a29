import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));

// The server serves `/` from dist/web/index.html and `/assets/*` from dist/web/assets, under a CSP that forbids
// inline scripts and styles: everything must be emitted as a file under assets/.
export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    assetsDir: 'assets',
    // A data: URL would be allowed for images only; keeping every asset a file keeps the CSP story simple.
    assetsInlineLimit: 0,
  },
});
