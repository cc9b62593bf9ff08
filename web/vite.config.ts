/**
 * Vite build of the admin UI (`web/`). `npm run build:web` (scripts/build-web.mjs) builds
 * into `web/dist`, which the API process serves (src/platform/http/home.routes.ts).
 * `npm run dev:web` serves it with hot reload on :5173 and proxies the API paths to the
 * running server (`npm run dev`, default :3000; override with TRAFFOFLEX_URL).
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import tailwindcss from '@tailwindcss/vite'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

const here = path.dirname(fileURLToPath(import.meta.url))
const backend = process.env.TRAFFOFLEX_URL ?? 'http://localhost:3000'

export default defineConfig({
  root: here,
  plugins: [react(), tailwindcss()],
  resolve: { alias: { '@': path.join(here, 'src') } },
  build: {
    outDir: path.join(here, 'dist'),
    emptyOutDir: true,
    // scripts/build-web.mjs reads the manifest to report the initial JS size.
    manifest: true,
    target: 'es2022',
    sourcemap: false,
  },
  server: {
    proxy: Object.fromEntries(
      ['/api', '/c/', '/sample', '/postback', '/healthz', '/readyz', '/metrics'].map((p) => [p, backend]),
    ),
  },
})
