import { describe, expect, it } from 'vitest';
import { acceptsGzip, etagMatches } from './revalidated-json.ts';

describe('etagMatches (weak comparison)', () => {
  const tag = 'W/"abc"';
  it('matches the tag, weak or strong, in a list, or *', () => {
    for (const h of ['W/"abc"', '"abc"', '"x", W/"abc"', '*']) expect(etagMatches(h, tag), h).toBe(true);
  });
  it('does not match another tag or nothing', () => {
    for (const h of [undefined, '', '"abcd"', 'W/"ab"', 'abc']) expect(etagMatches(h, tag), String(h)).toBe(false);
  });
});

describe('acceptsGzip', () => {
  it('takes gzip or * unless q=0', () => {
    for (const h of ['gzip', 'gzip, deflate, br', 'br;q=1.0, gzip;q=0.8', '*', 'identity, *;q=0.5', 'x-gzip']) expect(acceptsGzip(h), h).toBe(true);
    for (const h of [undefined, '', 'identity', 'br', 'gzip;q=0', 'gzip;q=0.0, br', '*;q=0', 'gzip;q=0, *']) expect(acceptsGzip(h), String(h)).toBe(false);
  });
});
