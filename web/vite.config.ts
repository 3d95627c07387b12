// Vite builds the single-page app (web/ → web/dist/); `scripts/build.mjs` runs it when
// web/ changed. Relative asset URLs let the server mount the app anywhere.
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 400,
  },
});
