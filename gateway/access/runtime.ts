// The access layer at run time: signing keys from the database, the revocation registry fed by the pg bus,
// cached lookups, and authorizePlay() — the one call the media edge makes per request.
import type { Logger } from 'pino';
import type { JWK } from 'jose';
import type { Db } from '../db/pool.ts';
import { withTx } from '../db/pool.ts';
import type { Action, CameraResource, GrantView, Subject, TimeWindow, Uuid } from '../domain/types.ts';
import { errors, type AppError } from '../errors.ts';
import type { PgBus } from '../events/pg-bus.ts';
import { watchDeafness } from '../events/deaf-watch.ts';
import type { UsersRepository } from '../repositories/users.repository.ts';
import { toCameraResource, type CamerasRepository } from '../repositories/cameras.repository.ts';
import type { Grant, GrantsRepository } from '../repositories/grants.repository.ts';
import { signingKeysRepository } from '../repositories/signing-keys.repository.ts';
import { revocationsRepository } from '../repositories/revocations.repository.ts';
import type { JurisdictionsRepository } from '../repositories/jurisdictions.repository.ts';
import type { CredentialCipher } from '../cameras/credentials.ts';
import { subjectOf } from '../services/subjects.ts';
import { decideClaims, type CheckDeps } from './check.ts';
import { RevocationRegistry } from './revocations.ts';
import { KeyRing, VerifiedTokenCache, issuePlayToken, verifyPlayToken, type PlayClaims, type PlayTokenInput } from './tokens.ts';

export interface AccessConfig {
  villageCommitteeMayView: boolean;
  tokenLeewaySeconds: number;
  playTokenTtlSeconds: number;
  /** Fail closed after revocations went unheard this long (default 5). */
  revocationDeafSeconds?: number;
}

export interface Authorization {
  userId: Uuid;
  grantId: Uuid | null;
  /** Access must end by this time (token expiry, grant end, live window end). */
  until: Date;
  /** Login session (or token id): groups sessions so logout and revocation can close them. */
  sessionKey: string;
  /** The grant's case number, for audit rows and export manifests. */
  caseNo: string | null;
  /** Footage the caller may see (token window, else the grant's); null: not limited by a grant. */
  footage: TimeWindow | null;
  /** Keys a revocation closes open media sessions by: grant:<id>, user:<id>, login:<sid>, camera:<id>. */
  revocationKeys: string[];
}

/** What a media edge needs to close open sessions. Match on any field given. */
export interface RevocationNotice {
  reason: 'grant_revoked' | 'grant_expired' | 'user_disabled' | 'credentials_reset' | 'session_logged_out' | 'camera_changed' | 'revocations_unavailable';
  /** 'all': every open session closes (this process can no longer hear revocations). */
  kind?: 'all';
  grantIds?: Uuid[];
  userId?: Uuid;
  sessionKey?: string;
  cameraId?: Uuid;
  at: Date;
}

export interface AuthorizeInput {
  token: string | undefined;
  cameraId: Uuid;
  action: Action;
  footage?: TimeWindow | null;
  now?: Date;
}

const KEY_LOCK = 7366290003;
const CACHE_MS = 5_000;

/** Grant row → what decide() sees. */
export function toGrantView(g: Grant): GrantView {
  return {
    id: g.id,
    state: g.state,
    granteeUserId: g.requesterUserId,
    cameraIds: new Set(g.cameraIds),
    actions: new Set(g.actions),
    footage: g.footageFrom && g.footageTo ? { from: g.footageFrom, to: g.footageTo } : null,
    live: g.liveFrom && g.liveTo ? { from: g.liveFrom, to: g.liveTo } : null,
    expiresAt: g.expiresAt,
    emergency: g.emergency,
    caseNo: g.caseNo,
  };
}

class TtlCache<V> {
  private readonly m = new Map<string, { v: V; at: number }>();
  get(k: string, now: number): V | undefined {
    const e = this.m.get(k);
    if (!e) return undefined;
    if (now - e.at > CACHE_MS) {
      this.m.delete(k);
      return undefined;
    }
    return e.v;
  }
  set(k: string, v: V, now: number): void {
    if (this.m.size > 50_000) this.m.clear();
    this.m.set(k, { v, at: now });
  }
  /** The cached value, or the loaded one (cached too, misses included). */
  async through(k: string, load: () => Promise<V>): Promise<V> {
    const hit = this.get(k, Date.now());
    if (hit !== undefined) return hit;
    const v = await load();
    this.set(k, v, Date.now());
    return v;
  }
  delete(k: string): void {
    this.m.delete(k);
  }
  clear(): void {
    this.m.clear();
  }
}

export async function createAccessRuntime(deps: {
  db: Db;
  log: Logger;
  bus: PgBus;
  config: AccessConfig;
  users: UsersRepository;
  cameras: CamerasRepository;
  grants: GrantsRepository;
  jurisdictions: JurisdictionsRepository;
  /** Seals the active private signing key at rest (the camera-credential key); null stores it as-is (tests). */
  cipher: CredentialCipher | null;
}) {
  const { db, log, bus, config } = deps;
  const keysRepo = signingKeysRepository(db);
  const { cipher } = deps;
  const sealKey = (jwk: JWK): string =>
    cipher ? `aes:${cipher.encrypt({ username: 'ed25519', password: JSON.stringify(jwk) })}` : `plain:${JSON.stringify(jwk)}`;
  const openKey = (stored: string): JWK => {
    if (stored.startsWith('aes:')) {
      if (!cipher) throw errors.unavailable('the play-token signing key is encrypted; configure secrets.credentialKey');
      return JSON.parse(cipher.decrypt(stored.slice(4)).password) as JWK;
    }
    return JSON.parse(stored.replace(/^plain:/, '')) as JWK;
  };

  async function loadKeyRing(): Promise<KeyRing> {
    return withTx(db, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [KEY_LOCK]);
      const rows = await keysRepo.all(tx);
      const active = rows.find((r) => r.active && r.privateJwk);
      if (active) {
        return KeyRing.import({
          activeKid: active.kid,
          keys: rows.map((r) => ({ kid: r.kid, publicJwk: r.publicJwk as JWK, ...(r === active && { privateJwk: openKey(r.privateJwk!) }) })),
        });
      }
      const ring = await KeyRing.generate();
      for (const r of rows) await ring.add({ ...(r.publicJwk as JWK), kid: r.kid });
      const exported = ring.export().keys.find((k) => k.kid === ring.activeKid)!;
      await keysRepo.insertActive({ kid: ring.activeKid, publicJwk: exported.publicJwk, privateJwk: sealKey(exported.privateJwk!) }, tx);
      log.info({ kid: ring.activeKid }, 'play-token signing key created');
      return ring;
    });
  }

  let keyRing = await loadKeyRing();
  const revocations = new RevocationRegistry();
  const tokenCache = new VerifiedTokenCache();
  const subjects = new TtlCache<Subject | null>();
  const cameras = new TtlCache<CameraResource | null>();
  const grants = new TtlCache<GrantView | null>();
  const listeners = new Set<(n: RevocationNotice) => void>();

  async function loadRevocations(): Promise<void> {
    const since = new Date(Date.now() - revocations.retentionMs);
    for (const r of await deps.grants.revokedSince(since)) revocations.revokeGrant(r.id, r.at);
    // Logouts, disables and password resets survive a restart: the registry is rebuilt from the table.
    revocations.load(await revocationsRepository(db).since(since));
  }
  await loadRevocations();

  const notify = (n: RevocationNotice): void => {
    for (const l of listeners) {
      try {
        l(n);
      } catch (err) {
        log.error({ err }, 'revocation listener failed');
      }
    }
  };

  const offBus = bus.on((m) => {
    const d = m.data;
    const at = typeof d.at === 'string' ? new Date(d.at) : new Date();
    switch (m.kind) {
      case 'grant': {
        const ids = (d.grantIds as string[] | undefined) ?? [];
        for (const id of ids) grants.delete(id);
        if (d.op === 'revoked') {
          for (const id of ids) revocations.revokeGrant(id, at);
          notify({ reason: 'grant_revoked', grantIds: ids, at });
        } else if (d.op === 'expired') {
          notify({ reason: 'grant_expired', grantIds: ids, at });
        }
        break;
      }
      case 'user':
        subjects.delete(String(d.userId));
        if (d.op === 'disabled') {
          revocations.disableUser(String(d.userId), at);
          notify({ reason: 'user_disabled', userId: String(d.userId), at });
        } else if (d.op === 'enabled') {
          revocations.enableUser(String(d.userId));
        } else if (d.op === 'credentials_reset') {
          revocations.resetCredentials(String(d.userId), at);
          notify({ reason: 'credentials_reset', userId: String(d.userId), at });
        }
        break;
      case 'session':
        if (d.op === 'logout') {
          revocations.logoutSession(String(d.sessionId), at);
          notify({ reason: 'session_logged_out', sessionKey: String(d.sessionId), userId: String(d.userId), at });
        }
        break;
      case 'camera':
        cameras.delete(String(d.cameraId));
        notify({ reason: 'camera_changed', cameraId: String(d.cameraId), at });
        break;
      case 'keys':
        void loadKeyRing().then(
          (ring) => {
            keyRing = ring;
          },
          (err: unknown) => log.error({ err }, 'reloading signing keys failed'),
        );
        break;
      default:
        break;
    }
  });
  const offResync = bus.onResync(() => {
    subjects.clear();
    cameras.clear();
    grants.clear();
    void loadRevocations().catch((err: unknown) => log.error({ err }, 'reloading revocations failed'));
    void loadKeyRing().then((ring) => {
      keyRing = ring;
    }, () => undefined);
  });

  // Fail closed when revocations cannot be heard: every session closes, plays are refused until reloaded.
  const deafness = watchDeafness(bus, {
    deafMs: (config.revocationDeafSeconds ?? 5) * 1000, log, reload: loadRevocations,
    onDeaf: () => notify({ kind: 'all', reason: 'revocations_unavailable', at: new Date() }),
  });

  const subject = (userId: Uuid): Promise<Subject | null> =>
    subjects.through(userId, async () => {
      const u = await deps.users.byId(userId);
      return u && !u.disabled ? subjectOf(u, deps.jurisdictions) : null;
    });
  const camera = (id: Uuid): Promise<CameraResource | null> =>
    cameras.through(id, async () => {
      const c = await deps.cameras.byId(id);
      return c ? toCameraResource(c) : null;
    });
  const grant = (id: Uuid): Promise<GrantView | null> =>
    grants.through(id, async () => {
      const g = await deps.grants.byId(id);
      return g ? toGrantView(g) : null;
    });

  const checkConfig = { villageCommitteeMayView: config.villageCommitteeMayView, leewayMs: config.tokenLeewaySeconds * 1000 };

  function refusal(reason: string, message: string): AppError {
    if (reason === 'grant_revoked') return errors.grantRevoked(message, { reason });
    if (reason === 'grant_expired') return errors.grantExpired(message, { reason });
    return errors.accessDenied(message, { reason });
  }

  return {
    get keyRing(): KeyRing {
      return keyRing;
    },
    revocations,
    tokenCache,
    config: checkConfig,
    subject,
    camera,
    grant,

    /** Signs a play token with the active key; this process's verifier trusts it without re-checking the signature. */
    async issue(input: PlayTokenInput, ttlSeconds: number, now = new Date()): Promise<{ token: string; claims: PlayClaims }> {
      return issuePlayToken(keyRing, input, ttlSeconds, { now, cache: tokenCache });
    },

    /** Verifies a play token for one request; throws a coded AppError to refuse. */
    async authorizePlay(input: AuthorizeInput): Promise<Authorization> {
      if (!input.token) throw errors.tokenMissing('a play token is needed');
      if (deafness.deaf) throw errors.revocationsUnavailable('this gateway cannot currently hear revocations; video is paused until it can');
      const now = input.now ?? new Date();
      const claims = await verifyPlayToken(keyRing, input.token, { now, leewaySeconds: config.tokenLeewaySeconds, cache: tokenCache });
      const [s, c, g] = await Promise.all([
        subject(claims.sub),
        camera(input.cameraId),
        claims.gid !== null ? grant(claims.gid) : Promise.resolve(null),
      ]);
      const checkDeps: CheckDeps = {
        keyRing,
        revocations,
        subjectLookup: () => s ?? undefined,
        cameraLookup: () => c ?? undefined,
        grantLookup: () => g ?? undefined,
        config: checkConfig,
      };
      const d = decideClaims(claims, { token: input.token, cameraId: input.cameraId, action: input.action, footage: input.footage ?? null, now }, checkDeps);
      if (!d.allow) throw refusal(d.reason, d.message);
      const exp = new Date(claims.exp * 1000);
      const until = d.constraints.until && d.constraints.until < exp ? d.constraints.until : exp;
      const sessionKey = claims.sid ?? claims.jti;
      const footage =
        claims.ff !== undefined && claims.ft !== undefined ? { from: new Date(claims.ff * 1000), to: new Date(claims.ft * 1000) } : (g?.footage ?? null);
      const revocationKeys = [`user:${claims.sub}`, `login:${sessionKey}`, `camera:${input.cameraId}`];
      if (claims.gid !== null) revocationKeys.push(`grant:${claims.gid}`);
      return { userId: claims.sub, grantId: claims.gid, until, sessionKey, caseNo: g?.caseNo ?? null, footage, revocationKeys };
    },

    /** The media edge subscribes here to close open sessions. Returns the unsubscribe function. */
    onRevocation(listener: (n: RevocationNotice) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    /** New active signing key; other processes reload on the bus message. Old public keys keep verifying. */
    async rotateKey(): Promise<string> {
      const kid = await withTx(db, async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [KEY_LOCK]);
        const rows = await keysRepo.all(tx);
        const ring = await KeyRing.generate();
        for (const r of rows) await ring.add({ ...(r.publicJwk as JWK), kid: r.kid });
        const exported = ring.export().keys.find((k) => k.kid === ring.activeKid)!;
        await keysRepo.insertActive({ kid: ring.activeKid, publicJwk: exported.publicJwk, privateJwk: sealKey(exported.privateJwk!) }, tx);
        keyRing = ring;
        return ring.activeKid;
      });
      await bus.publish('keys', { op: 'rotated', kid });
      return kid;
    },

    async close(): Promise<void> {
      offBus();
      offResync();
      deafness.close();
      listeners.clear();
    },
  };
}
export type AccessRuntime = Awaited<ReturnType<typeof createAccessRuntime>>;
