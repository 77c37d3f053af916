// kill -9 of a launcher (the shell npm runs, or npm itself) must not leave the gateway running as an orphan.
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const CHILD = path.join(ROOT, 'test', 'fixtures', 'launcher-watch-child.ts');

describe.runIf(process.platform === 'linux')('launcher watch', () => {
  it('the gateway process notices when the shell above its tsx wrapper is killed with -9', async () => {
    // sh stays the wrapper's parent because a command follows (no exec), like `npm start`'s sh -c
    const sh = spawn('/bin/sh', ['-c', `"${TSX}" "${CHILD}"; echo after`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const seen = (s: string) => new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`never saw ${s}; output: ${out}`)), 25_000);
      const check = () => { if (out.includes(s)) { clearTimeout(t); resolve(); } };
      sh.stdout.on('data', (d: Buffer) => { out += d.toString(); check(); });
      check();
    });
    await seen('chain ');
    const chain = Number(/chain (\d+)/.exec(out)![1]);
    expect(chain).toBeGreaterThanOrEqual(2); // the tsx wrapper and the shell
    sh.kill('SIGKILL');
    await seen('orphaned');
    expect(out).not.toContain('after'); // the shell really died before the child finished
  }, 40_000);
});
