// The viewer's API types are generated from the gateway's OpenAPI document; the committed file must match it.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { renderTypes, TYPES_FILE } from '../../web-viewer/scripts/gen-api-types.ts';
import { openApiDocument } from '../../web-viewer/scripts/openapi-doc.ts';

describe('generated API types', () => {
  it('web-viewer/src/api/types.gen.ts is what the OpenAPI document gives (run npm run build:web)', async () => {
    const doc = await openApiDocument();
    expect(readFileSync(TYPES_FILE, 'utf8')).toBe(renderTypes(doc));
  });

  it('renders nullable, optional and array fields', () => {
    const out = renderTypes({
      paths: { '/x': { get: { parameters: [{ in: 'query', name: 'q', required: false, schema: { type: 'string' } }], responses: { 200: { content: { 'application/json': { schema: {
        type: 'object', required: ['a'], properties: { a: { type: 'string', nullable: true }, b: { type: 'array', items: { enum: ['u', 'v'] } } },
      } } } } } } } },
    });
    expect(out).toContain('q?: string;');
    expect(out).toContain('a: string | null;');
    expect(out).toContain('b?: Array<"u" | "v">;');
  });
});
