import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { badTextReason, isDateTime, UUID_RE } from '../domain/canonical.ts';

const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;

// JSON bodies are taken as typed (5 is not "5"); query strings and params arrive as text and are coerced.
function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({ removeAdditional: false, useDefaults: true, coerceTypes: coerce ? 'array' : false, allErrors: false, strict: false });
  addFormats(ajv);
  // ajv-formats accepts `urn:uuid:…` (SQL then fails) and leap seconds / Feb 30 (Invalid Date downstream).
  ajv.addFormat('uuid', UUID_RE);
  ajv.addFormat('date-time', { type: 'string', validate: isDateTime });
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
type SchemaNode = { format?: string; type?: unknown; properties?: Record<string, SchemaNode>; items?: SchemaNode; anyOf?: SchemaNode[]; oneOf?: SchemaNode[]; allOf?: SchemaNode[]; additionalProperties?: unknown; patternProperties?: Record<string, SchemaNode> };

/**
 * Rewrites every validated `format: uuid` value to lower case in place: ids are compared, logged and hashed in
 * PostgreSQL's form. A schema walk rather than an ajv keyword, so shared schemas stay plain JSON Schema.
 */
export function lowercaseUuids(schema: SchemaNode | undefined, data: unknown, depth = 0): unknown {
  if (!schema || depth > 32) return data;
  if (schema.format === 'uuid' && typeof data === 'string') return data.toLowerCase();
  for (const alt of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) data = lowercaseUuids(alt, data, depth + 1);
  if (Array.isArray(data) && schema.items) {
    for (let i = 0; i < data.length; i++) data[i] = lowercaseUuids(schema.items, data[i], depth + 1);
  } else if (data && typeof data === 'object' && schema.properties) {
    const o = data as Record<string, unknown>;
    for (const [k, sub] of Object.entries(schema.properties)) if (Object.hasOwn(o, k)) o[k] = lowercaseUuids(sub, o[k], depth + 1);
  }
  return data;
}

function guarded(validate: ValidateFunction, schema: SchemaNode): ValidateFunction {
  const fn = ((data: unknown) => {
    const bad = findBadText(data);
    if (bad) {
      const err: ErrorObject = { keyword: 'text', instancePath: bad.path, schemaPath: '#', params: {}, message: bad.reason };
      fn.errors = [err];
      return false;
    }
    const ok = validate(data);
    fn.errors = validate.errors ?? null;
    if (ok) lowercaseUuids(schema, data);
    return ok;
  }) as ValidateFunction;
  return fn;
}

export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = makeAjv(false);
  const coercing = makeAjv(true);
  return ({ schema, httpPart }) =>
    guarded((httpPart === 'body' ? strict : coercing).compile(schema as object), schema as SchemaNode) as ReturnType<FastifySchemaCompiler<unknown>>;
}
