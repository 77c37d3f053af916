// npm run bench [-- NAME ...]: runs every bench/NAME.ts (or the named ones), prints figures, writes bench/results/NAME.json.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { printTable, writeResult, type Figures } from './lib.ts';

const dir = path.dirname(new URL(import.meta.url).pathname);
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'lib.ts'].includes(f) && !f.endsWith('.test.ts'))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; available: ${all.join(', ')}\n`);
  process.exit(2);
}
let failed = 0;
for (const name of wanted.length ? wanted : all) {
  const started = Date.now();
  try {
    const mod = (await import(path.join(dir, `${name}.ts`))) as { run: () => Promise<Figures> };
    const figures = await mod.run();
    printTable(name, writeResult(name, figures));
    process.stdout.write(`  (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  } catch (e) {
    failed++;
    process.stderr.write(`bench ${name} failed: ${(e as Error).stack ?? e}\n`);
  }
}
process.exit(failed ? 1 : 0);
