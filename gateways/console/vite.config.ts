// Builds the browser console into gateways/console/dist: index.html at the root, hashed assets under
// console/ (the gateway serves them at /console/:file). Everything is bundled: nothing is loaded from a CDN.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    assetsDir: 'console',
    emptyOutDir: true,
    // No inline script or style: the page's CSP allows 'self' scripts only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: false,
  },
});
