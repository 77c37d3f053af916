// Where the ffmpeg and ffprobe binaries are: a configured path wins, else the npm-shipped static build.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';

const require = createRequire(import.meta.url);

function fromPackage(pkg: string): string {
  const mod = require(pkg) as { path: string };
  return mod.path;
}

export function locateFfmpeg(configured?: string): string {
  return locate('ffmpeg', configured, '@ffmpeg-installer/ffmpeg');
}

export function locateFfprobe(configured?: string): string {
  return locate('ffprobe', configured, '@ffprobe-installer/ffprobe');
}

function locate(name: string, configured: string | undefined, pkg: string): string {
  if (configured) {
    if (!existsSync(configured)) throw new Error(`${name} not found at configured path '${configured}'`);
    return configured;
  }
  const p = fromPackage(pkg);
  if (!existsSync(p)) throw new Error(`${name} binary missing from ${pkg} (${p})`);
  return p;
}
