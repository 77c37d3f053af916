// Every user-visible string of the web viewer is in the message catalogues: both have the same keys, no
// message is empty, their {parameters} agree, every key the code names exists, and no component has literal text.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zhCN } from '../../web-viewer/src/i18n/zh-CN.ts';
import { en } from '../../web-viewer/src/i18n/en.ts';

const SRC = fileURLToPath(new URL('../../web-viewer/src/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(f) && !f.endsWith('.gen.ts') ? [p] : [];
  });
}
const params = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('web viewer message catalogues', () => {
  it('zh-CN and English have the same keys, none empty, with the same parameters', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zhCN).sort());
    for (const [k, v] of Object.entries(zhCN)) {
      expect(v.trim(), k).not.toBe('');
      expect(en[k as keyof typeof zhCN].trim(), k).not.toBe('');
      expect(params(en[k as keyof typeof zhCN]), k).toEqual(params(v));
    }
  });

  it('every literal key used in the code exists', () => {
    const missing: string[] = [];
    for (const f of files(SRC)) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\bt\('([\w.-]+)'/g)) if (!(m[1]! in zhCN)) missing.push(`${path.basename(f)}: ${m[1]}`);
    }
    expect(missing).toEqual([]);
  });

  it('components have no literal user-visible text', () => {
    const found: string[] = [];
    const letters = /[A-Za-z\u3400-\u9fff]/;
    for (const f of files(SRC).filter((x) => x.endsWith('.tsx'))) {
      const src = readFileSync(f, 'utf8').replace(/\/\/.*$/gm, '');
      // text between JSX tags; TypeScript generics (`Promise<Map<…>>`, `, x: new Map<…>`) are told apart by
      // the punctuation around them or by a type name right after the `<`
      for (const m of src.matchAll(/(?<!=)>([^<>{}();=,&]*)<(\/?)([A-Za-z]?)/g)) {
        if (!m[2] && /^[A-Z]$/.test(m[3]!)) continue;
        if (letters.test(m[1]!)) found.push(`${path.basename(f)}: "${m[1]!.trim()}"`);
      }
      for (const m of src.matchAll(/\b(placeholder|title|alt|aria-label|label)="([^"]*)"/g)) if (letters.test(m[2]!)) found.push(`${path.basename(f)}: ${m[1]}="${m[2]}"`);
    }
    expect(found).toEqual([]);
  });
});
