import { Type, type TSchema } from 'typebox';

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { $id: 'ErrorBody' },
);

// Lower-cased on the way in (validator.ts): ids are compared, logged and hashed in PostgreSQL's form.
export const Uuid = Type.String({ format: 'uuid' });
/** Accepts Date objects in responses (serialised as ISO 8601) and ISO strings in requests. */
export const IsoDate = Type.Unsafe<string | Date>({ type: 'string', format: 'date-time' });
export const IsoDateIn = Type.String({ format: 'date-time' });

/** A string enum whose static type is the union of its values. */
export function enumOf<T extends string>(values: readonly T[], opts: Record<string, unknown> = {}) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...opts });
}

/** Standard error responses every authenticated route can give. */
export function withErrors<T extends Record<number, TSchema>>(ok: T) {
  return {
    ...ok,
    400: ErrorBody,
    401: ErrorBody,
    403: ErrorBody,
    404: ErrorBody,
    409: ErrorBody,
    429: ErrorBody,
    500: ErrorBody,
  };
}

/**
 * A response that is a file, not JSON (MPEG-TS, MP4, HLS playlist): documented under its own media type so the
 * OpenAPI document says what arrives; fastify sends a Buffer, stream or string with a non-JSON type as it is.
 */
export function fileResponse(contentType: string, description: string, schema: TSchema = Type.Unsafe<Buffer | string>({ type: 'string', format: 'binary' })) {
  return { description, content: { [contentType]: { schema } } };
}
