// Every user-visible string of the web viewer is in the message catalogues: both have the same keys, no
// message is empty, their {parameters} agree, every key the code names exists, and no component has literal text
// (between tags, in text attributes, as a {'literal'} child, or Chinese anywhere in code); times go through time.ts.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zhCN } from '../../web-viewer/src/i18n/zh-CN.ts';
import { en } from '../../web-viewer/src/i18n/en.ts';
import { fmtTime, todayInShanghai } from '../../web-viewer/src/time.ts';

const SRC = fileURLToPath(new URL('../../web-viewer/src/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(f) && !f.endsWith('.gen.ts') ? [p] : [];
  });
}
/** Source without comments (a line comment only where it starts a line or follows code and a space). */
const code = (f: string) => readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');
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

  it('components have no literal text as a JSX child ({\'…\'}), and no Chinese outside the catalogues', () => {
    const found: string[] = [];
    for (const f of files(SRC).filter((x) => !x.includes(`${path.sep}i18n${path.sep}`))) {
      const src = code(f);
      // a Chinese string or list separator anywhere in code (the map's ＋/－ glyphs are symbols, not text)
      for (const m of src.matchAll(/[^\n]*[\u3000-\u303f\u3400-\u9fff（），：；？！][^\n]*/g)) found.push(`${path.basename(f)}: ${m[0].trim()}`);
      if (!f.endsWith('.tsx')) continue;
      // {'Close'} or {`${n} cameras`} as a child; attribute values (`class={`…`}`) are not text
      for (const m of src.matchAll(/(?<![=\w])\{\s*(['"`])((?:(?!\1)[^\\]|\\.)*)\1\s*\}/g)) {
        if (/[A-Za-z]/.test(m[2]!.replace(/\$\{[^}]*\}/g, ''))) found.push(`${path.basename(f)}: {${m[1]}${m[2]}${m[1]}}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('dates and times are formatted in one place, in Beijing time', () => {
    const found: string[] = [];
    for (const f of files(SRC).filter((x) => path.basename(x) !== 'time.ts')) {
      for (const m of code(f).matchAll(/[^\n]*(?:toLocale(?:Date|Time)?String|Intl\.DateTimeFormat|get(?:Hours|Minutes|Date|Day)\(|toTimeString|toDateString|toISOString\(\)\.slice)[^\n]*/g)) {
        found.push(`${path.basename(f)}: ${m[0].trim()}`);
      }
    }
    expect(found).toEqual([]);
    // 18:30 UTC is 02:30 the next day in Beijing: the date and the offset say so
    expect(fmtTime('2026-11-23T18:30:00Z', true)).toMatch(/2026.11.24 02:30:00 \+08:00$/);
    expect(todayInShanghai(new Date('2026-11-23T18:30:00Z'))).toBe('2026-11-24');
  });
});
