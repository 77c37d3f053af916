import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { badTextReason, isDateTime, UUID_RE } from '../domain/canonical.ts';

const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;

/** Schema keyword that rewrites a validated UUID to lower case, the form PostgreSQL stores and the audit chain hashes. */
export const LOWERCASE_KEYWORD = 'x-lowercase';

// JSON bodies are taken as typed (5 is not "5"); query strings and params arrive as text and are coerced.
function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({ removeAdditional: false, useDefaults: true, coerceTypes: coerce ? 'array' : false, allErrors: false, strict: false });
  addFormats(ajv);
  // ajv-formats accepts `urn:uuid:…` (SQL then fails) and leap seconds / Feb 30 (Invalid Date downstream).
  ajv.addFormat('uuid', UUID_RE);
  ajv.addFormat('date-time', { type: 'string', validate: isDateTime });
  ajv.addKeyword({
    keyword: LOWERCASE_KEYWORD,
    modifying: true,
    schemaType: 'boolean',
    validate: (on: boolean, data: unknown, _parent: unknown, cxt?: { parentData: unknown; parentDataProperty: string | number }) => {
      if (on && typeof data === 'string' && cxt?.parentData) {
        (cxt.parentData as Record<string | number, unknown>)[cxt.parentDataProperty] = data.toLowerCase();
      }
      return true;
    },
  });
  return ajv;
}

const MAX_DEPTH = 64;

/** The path of the first string (value or key) PostgreSQL could not store as given, and why. */
export function findBadText(v: unknown, path = '', depth = 0): { path: string; reason: string } | null {
  if (typeof v === 'string') {
    const reason = badTextReason(v);
    return reason ? { path, reason } : null;
  }
  if (v === null || typeof v !== 'object' || depth > MAX_DEPTH) return null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const bad = findBadText(v[i], `${path}/${i}`, depth + 1);
      if (bad) return bad;
    }
    return null;
  }
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const keyReason = badTextReason(k);
    if (keyReason) return { path: `${path}/${encodeURIComponent(k)}`, reason: `field name ${keyReason}` };
    const bad = findBadText(x, `${path}/${k}`, depth + 1);
    if (bad) return bad;
  }
  return null;
}

// Every part of every request goes through here: NUL and unpaired surrogates are refused before a route,
// a log line or the audit chain sees them.
function guarded(validate: ValidateFunction): ValidateFunction {
  const fn = ((data: unknown) => {
    const bad = findBadText(data);
    if (bad) {
      const err: ErrorObject = { keyword: 'text', instancePath: bad.path, schemaPath: '#', params: {}, message: bad.reason };
      fn.errors = [err];
      return false;
    }
    const ok = validate(data);
    fn.errors = validate.errors ?? null;
    return ok;
  }) as ValidateFunction;
  return fn;
}

export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = makeAjv(false);
  const coercing = makeAjv(true);
  return ({ schema, httpPart }) =>
    guarded((httpPart === 'body' ? strict : coercing).compile(schema as object)) as ReturnType<FastifySchemaCompiler<unknown>>;
}
