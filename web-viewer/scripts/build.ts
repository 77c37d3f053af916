// Builds the web viewer into web-viewer/dist: API types from the OpenAPI document, then vite.
// `--if-stale` (npm start's prestart) builds only when dist is missing or older than the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIST_INDEX = path.join(ROOT, 'dist', 'index.html');

function newest(p: string): number {
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  let m = s.mtimeMs;
  for (const e of readdirSync(p)) m = Math.max(m, newest(path.join(p, e)));
  return m;
}

export function viewerIsStale(): boolean {
  if (!existsSync(DIST_INDEX)) return true;
  const built = statSync(DIST_INDEX).mtimeMs;
  const sources = Math.max(newest(path.join(ROOT, 'src')), newest(path.join(ROOT, 'index.html')), newest(path.join(ROOT, 'vite.config.ts')));
  return sources > built;
}

export async function buildViewer(): Promise<void> {
  const { writeFileSync } = await import('node:fs');
  const { renderTypes, TYPES_FILE } = await import('./gen-api-types.ts');
  const { openApiDocument } = await import('./openapi-doc.ts');
  const types = renderTypes(await openApiDocument());
  const { readFileSync } = await import('node:fs');
  if (!existsSync(TYPES_FILE) || readFileSync(TYPES_FILE, 'utf8') !== types) writeFileSync(TYPES_FILE, types);
  const { build } = await import('vite');
  await build({ configFile: path.join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
}

/** Builds once per process when stale (browser tests call this; concurrent callers share the build). */
let pending: Promise<void> | null = null;
export function ensureViewerBuilt(): Promise<void> {
  pending ??= viewerIsStale() ? buildViewer() : Promise.resolve();
  return pending;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && !viewerIsStale()) process.exit(0);
  const t0 = Date.now();
  buildViewer().then(() => console.log(`web viewer built into web-viewer/dist in ${Date.now() - t0} ms`), (e: unknown) => {
    console.error(`web viewer build failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
