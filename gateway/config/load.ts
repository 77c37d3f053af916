import { readFileSync, existsSync } from 'node:fs';
import { Value } from 'typebox/value';
import { ConfigSchema, type Config } from './schema.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

// Environment variables that override a config key (documented in the README).
const ENV_KEYS: Record<string, string> = {
  SHOUWANG_PROFILE: 'profile',
  SHOUWANG_DEMO: 'demo',
  HOST: 'http.host',
  PORT: 'http.port',
  SHOUWANG_TLS_CERT: 'http.tlsCert',
  SHOUWANG_TLS_KEY: 'http.tlsKey',
  SHOUWANG_BEHIND_TLS_PROXY: 'http.behindTlsProxy',
  DATABASE_URL: 'database.url',
  DATABASE_APP_URL: 'database.appUrl',
  SHOUWANG_DATA_DIR: 'database.dataDir',
  SHOUWANG_EMBEDDED_PG_PORT: 'database.embeddedPort',
  SHOUWANG_CREDENTIAL_KEY: 'secrets.credentialKey',
  LOG_LEVEL: 'log.level',
  SHOUWANG_MEDIA: 'media.enabled',
  SHOUWANG_RECORDING: 'recording.enabled',
  SHOUWANG_FFMPEG: 'media.ffmpegPath',
};

type Json = Record<string, unknown>;

function setPath(obj: Json, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Json;
  }
  cur[parts[parts.length - 1]!] = value;
}

function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? deepMerge(b as Json, v as Json)
        : v;
  }
  return out;
}

// Env values are strings; coerce by what the schema default at that key looks like.
function coerce(raw: string): unknown {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (raw === 'null' || raw === '') return null;
  if (/^-?\d+$/.test(raw)) return Number(raw);
  return raw;
}

export interface LoadOptions {
  file?: string | null;
  env?: NodeJS.ProcessEnv;
  overrides?: Json;
}

/** defaults → file → environment → overrides, then validate; every error names the key, the value and what is allowed. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const file = opts.file === undefined ? (env.SHOUWANG_CONFIG ?? 'config/shouwang.json') : opts.file;
  let fromFile: Json = {};
  if (file && existsSync(file)) {
    try {
      fromFile = JSON.parse(readFileSync(file, 'utf8')) as Json;
    } catch (e) {
      throw new ConfigError(`config file ${file} is not valid JSON: ${(e as Error).message}`);
    }
  } else if (file && env.SHOUWANG_CONFIG) {
    throw new ConfigError(`config file ${file} (SHOUWANG_CONFIG) does not exist`);
  }
  const fromEnv: Json = {};
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw !== undefined) setPath(fromEnv, key, key === 'database.url' ? raw || null : coerce(raw));
  }
  const merged = deepMerge(deepMerge(fromFile, fromEnv), opts.overrides ?? {});
  const withDefaults = Value.Default(ConfigSchema, structuredClone(merged)) as Json;
  const withPorts = deepMerge(
    { http: { port: 8080 }, database: { embeddedPort: 54329 }, media: { rtmpBasePort: 19350, httpBasePort: 18950 } },
    withDefaults,
  );
  const errs = [...Value.Errors(ConfigSchema, withPorts)] as unknown as AjvLikeError[];
  const e = errs.find((x) => x.keyword !== 'boolean') ?? errs[0];
  if (e) throw new ConfigError(describe(e, withPorts));
  const cfg = withPorts as unknown as Config;
  validateSemantics(cfg);
  return cfg;
}

interface AjvLikeError {
  keyword: string;
  instancePath: string;
  params: { additionalProperties?: string[]; allowedValues?: unknown[] };
  message: string;
}

function describe(e: AjvLikeError, root: Json): string {
  const parts = e.instancePath.split('/').filter(Boolean);
  if (e.keyword === 'additionalProperties') {
    const key = [...parts, e.params.additionalProperties?.[0] ?? '?'].join('.');
    return `invalid config '${key}': unknown key`;
  }
  let value: unknown = root;
  for (const p of parts) value = (value as Json | undefined)?.[p];
  const allowed = e.params.allowedValues ? `; allowed: ${e.params.allowedValues.join(', ')}` : '';
  return `invalid config '${parts.join('.') || '(root)'}' = ${JSON.stringify(value)}: ${e.message}${allowed}`;
}

function validateSemantics(cfg: Config): void {
  const loopback = ['127.0.0.1', '::1', 'localhost'].includes(cfg.http.host) || cfg.http.host.startsWith('127.');
  const tls = Boolean(cfg.http.tlsCert && cfg.http.tlsKey);
  if (Boolean(cfg.http.tlsCert) !== Boolean(cfg.http.tlsKey)) {
    throw new ConfigError(`invalid config 'http.tlsKey': tlsCert and tlsKey must be set together`);
  }
  if (cfg.profile === 'production' && !loopback && !tls && !cfg.http.behindTlsProxy) {
    throw new ConfigError(
      `invalid config 'http.host' = "${cfg.http.host}": the production profile listens on a non-loopback address only with TLS (http.tlsCert/http.tlsKey) or http.behindTlsProxy=true`,
    );
  }
  if (cfg.profile === 'production' && cfg.demo) {
    throw new ConfigError(`invalid config 'demo' = true: demo data and printed passwords are not allowed in the production profile`);
  }
  const keys: Array<[string, string]> = [
    ...(cfg.secrets.credentialKey !== null ? [['secrets.credentialKey', cfg.secrets.credentialKey] as [string, string]] : []),
    ...cfg.secrets.previousCredentialKeys.map((k, i) => [`secrets.previousCredentialKeys.${i}`, k] as [string, string]),
  ];
  for (const [key, value] of keys) {
    const buf = Buffer.from(value, 'base64');
    if (buf.length !== 32) throw new ConfigError(`invalid config '${key}': must be 32 bytes, base64-encoded (got ${buf.length} bytes)`);
  }
  if (cfg.profile === 'production' && cfg.secrets.credentialKey === null) {
    throw new ConfigError(`invalid config 'secrets.credentialKey' = null: the production profile needs a configured key (32 bytes, base64)`);
  }
}
