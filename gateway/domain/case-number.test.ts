import { describe, expect, it } from 'vitest';
import { canonicalCaseNumber } from './case-number.ts';

describe('canonicalCaseNumber', () => {
  it.each([
    ['兖公刑立字〔2026〕118号', '兖公刑立字〔2026〕118号'],
    ['  YG-2026/0417  ', 'YG-2026/0417'],
    ['台公（刑）字 2026\u3000第12号', '台公（刑）字 2026 第12号'],
    ['Cafe\u0301 1', 'Café 1'],
  ])('accepts %j as %j', (input, out) => expect(canonicalCaseNumber(input)).toBe(out));

  it.each(['', '   ', 'a\u0000b', 'a\nb', '\ud800x', 'x'.repeat(65), 'drop table;', '<script>'])('refuses %j', (input) => {
    expect(() => canonicalCaseNumber(input)).toThrow(/Invalid case number/);
  });
});
