import { randomBytes } from 'node:crypto';
import type { Db } from '../db/pool.ts';
import { withTx } from '../db/pool.ts';
import { errors, AppError } from '../errors.ts';
import type { OwnerClass, SharingMode, Subject, Uuid } from '../domain/types.ts';
import { decide } from '../access/policy.ts';
import { camerasRepository, toCameraResource, type Camera, type CameraProfile, type CamerasRepository } from '../repositories/cameras.repository.ts';
import type { UsersRepository } from '../repositories/users.repository.ts';
import { usersRepository } from '../repositories/users.repository.ts';
import type { AuditRepository } from '../repositories/audit.repository.ts';
import type { JurisdictionService } from '../services/jurisdiction.service.ts';
import type { JurisdictionsRepository } from '../repositories/jurisdictions.repository.ts';
import type { EventPublisher } from '../events/types.ts';
import type { CredentialCipher } from './credentials.ts';
import { deviceIdPrefix } from './device-id.ts';
import { mediaPortRules, type MediaPortPolicy } from './media-ports.ts';
import { diffRow, ownerUsernameFor, type RowDiff } from './row-diff.ts';
import { noticesRepository } from '../repositories/notices.repository.ts';
import { AUDIT } from '../audit/actions.ts';
import { OnvifError, type ProbeOptions, type ProbeResult } from '../../camera-adapters/onvif/index.ts';

export interface EnrolInput {
  host: string;
  port: number;
  username: string;
  password: string;
  name?: string;
  ownerClass: OwnerClass;
  lat: number;
  lon: number;
  address?: string | null;
  ownerName?: string | null;
  ownerPhone?: string | null;
  /** Existing household_owner user; else one is found or created from the phone number. */
  ownerUserId?: Uuid | null;
  sharingMode?: SharingMode | null;
  consentDate?: string | null;
  consentDocumentRef?: string | null;
  delegatedToCommittee?: boolean;
  /** Media ports this camera serves on besides cameras.mediaPorts (e.g. an RTSP server on 10554). */
  mediaPorts?: number[];
}

export type Prober = (opts: ProbeOptions) => Promise<ProbeResult>;

export interface EnrolmentDeps {
  db: Db;
  cameras: CamerasRepository;
  users: UsersRepository;
  audit: AuditRepository;
  jurisdictions: JurisdictionService;
  jurisdictionsRepo: JurisdictionsRepository;
  cipher: CredentialCipher;
  probe: Prober;
  events: EventPublisher;
  probeDeadlineMs: number;
  /** Allowed and forbidden media ports; default RTSP 554/8554, nothing forbidden. */
  mediaPorts?: MediaPortPolicy;
  /** Called when a camera's access-relevant facts change (sharing, jurisdiction, disable, remove). */
  onCameraChanged?: (cameraId: Uuid) => void;
  /** After a committed owner change: pending requests addressed to the old owner go to the new one. */
  onOwnerChanged?: (cameraId: Uuid) => Promise<unknown>;
}

const HOST_RE = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$|^\[?[0-9a-fA-F:]+\]?$/;
const PHONE_RE = /^\+?[0-9][0-9 -]{5,19}$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Checks an enrolment's fields; returns the first problem as a sentence, or null. */
export function validateEnrolInput(i: EnrolInput, forbiddenPorts: readonly number[] = []): string | null {
  if (!i.host || i.host.length > 253 || !HOST_RE.test(i.host)) return `address '${i.host}' is not a host name or IP address`;
  if (!Number.isInteger(i.port) || i.port < 1 || i.port > 65535) return `port '${i.port}' is not 1–65535`;
  if (!i.username || i.username.length > 128) return 'username is required (at most 128 characters)';
  if (i.password.length > 256) return 'password is longer than 256 characters';
  if (!Number.isFinite(i.lat) || i.lat < -90 || i.lat > 90) return `latitude '${i.lat}' is not between -90 and 90`;
  if (!Number.isFinite(i.lon) || i.lon < -180 || i.lon > 180) return `longitude '${i.lon}' is not between -180 and 180`;
  if (i.name && i.name.length > 200) return 'name is longer than 200 characters';
  if (i.mediaPorts) {
    if (i.mediaPorts.length > 8) return 'at most 8 media ports';
    const bad = i.mediaPorts.find((p) => !Number.isInteger(p) || p < 1 || p > 65535);
    if (bad !== undefined) return `media port '${bad}' is not 1–65535`;
    const own = i.mediaPorts.find((p) => forbiddenPorts.includes(p));
    if (own !== undefined) return `media port ${own} is one of the gateway's own service ports`;
  }
  if (i.ownerClass === 'household') {
    if (!i.sharingMode) return 'a household camera needs the owner\'s sharing mode (station, on_request or never_live)';
    if (!i.consentDate || !DATE_RE.test(i.consentDate) || Number.isNaN(Date.parse(i.consentDate))) return `consent date '${i.consentDate ?? ''}' is not a date (YYYY-MM-DD)`;
    if (Date.parse(i.consentDate) > Date.now() + 86_400_000) return `consent date ${i.consentDate} is in the future`;
    if (!i.ownerUserId && !(i.ownerName && i.ownerPhone)) return 'a household camera needs its owner (name and phone)';
    if (i.ownerPhone && !PHONE_RE.test(i.ownerPhone)) return `owner phone '${i.ownerPhone}' is not a phone number`;
    if (i.ownerName && i.ownerName.length > 100) return 'owner name is longer than 100 characters';
  } else if (i.sharingMode) {
    return 'only household cameras have a sharing mode';
  }
  return null;
}

/** A probe failure as the coded reason a person reads. */
export function probeFailure(e: unknown): AppError {
  if (e instanceof OnvifError) {
    const what: Record<string, string> = {
      unreachable: 'camera is unreachable',
      timeout: 'camera did not answer in time',
      too_large: 'camera sent an oversized response',
      not_onvif: 'device does not speak ONVIF',
      auth_failed: 'camera refused the username or password',
      uri_rejected: 'camera returned a stream or snapshot address that is not its own',
    };
    // A port off the allow-list has its own code: the operator can fix it by giving the port at enrolment.
    if (e.code === 'stream_port_not_allowed' || e.code === 'snapshot_port_not_allowed') {
      return new AppError(e.code, 422, `camera announced a ${e.code.split('_')[0]} address on a port that is not allowed: ${e.message}`);
    }
    return new AppError(`camera_${e.code}`, 422, `${what[e.code] ?? 'camera gave a bad answer'}: ${e.message}`);
  }
  if (e instanceof AppError) return e;
  return new AppError('camera_bad_response', 422, `probe failed: ${(e as Error).message}`);
}

export function enrolmentService(deps: EnrolmentDeps) {
  const { db, cameras, audit, cipher } = deps;
  const portPolicy: MediaPortPolicy = deps.mediaPorts ?? { stream: [554, 8554], snapshot: [], forbidden: [] };

  async function locate(i: EnrolInput) {
    const where = await deps.jurisdictions.lookup(i.lat, i.lon);
    if (!where.station) {
      throw errors.outsideJurisdiction(`location ${i.lat}, ${i.lon} is outside every station's boundary`);
    }
    return where;
  }

  async function probe(i: Pick<EnrolInput, 'host' | 'port' | 'username' | 'password' | 'mediaPorts'>): Promise<ProbeResult> {
    try {
      const mediaPorts = mediaPortRules(portPolicy, { onvifPort: i.port, mediaPorts: i.mediaPorts });
      return await deps.probe({ host: i.host, port: i.port, username: i.username, password: i.password, deadlineMs: deps.probeDeadlineMs, maxBytes: 1024 * 1024, mediaPorts });
    } catch (e) {
      throw probeFailure(e);
    }
  }

  function profilesOf(p: ProbeResult): CameraProfile[] {
    return p.profiles.slice(0, 8).map((x) => ({
      token: x.token, name: x.name, encoding: x.encoding ?? 'unknown', width: x.width ?? 0, height: x.height ?? 0,
      fps: x.fps, bitrateKbps: x.bitrateKbps, streamUri: x.streamUri, snapshotUri: x.snapshotUri,
    }));
  }

  /** The household owner's account: given, or found by phone in the village, or created without a password. */
  async function ownerFor(i: EnrolInput, villageId: Uuid | null, stationId: Uuid, tx: Parameters<typeof usersRepository>[0]): Promise<Uuid | null> {
    if (i.ownerClass !== 'household') return null;
    if (i.ownerUserId) return i.ownerUserId;
    const phone = i.ownerPhone!.replace(/[^0-9+]/g, '');
    const username = ownerUsernameFor(phone);
    const users = usersRepository(tx);
    const existing = await users.byUsername(username);
    if (existing) return existing.id;
    // No password: the village committee activates the account when the owner asks to log in.
    const u = await users.upsert({ username, displayName: i.ownerName!, role: 'household_owner', jurisdictionId: villageId ?? stationId, phone, passwordHash: `!disabled:${randomBytes(8).toString('hex')}` }, tx);
    return u.id;
  }

  return {
    validate: (i: EnrolInput) => validateEnrolInput(i, portPolicy.forbidden),
    probe,
    mayManage: (actor: Subject, id: Uuid) => mustManage(actor, id).then(() => undefined),
    locate,

    /** Checks the actor may enrol at that location; returns the resolved station/village. */
    async authorise(actor: Subject, i: EnrolInput) {
      const where = await locate(i);
      const resource = toCameraResource({
        id: '00000000-0000-0000-0000-000000000000', ownerClass: i.ownerClass, stationId: where.station!.id, villageId: where.village?.id ?? null,
        ownerUserId: i.ownerUserId ?? null, sharingMode: i.sharingMode ?? null, delegatedToCommittee: i.delegatedToCommittee ?? false, enabled: true, removedAt: null,
      });
      const d = decide(actor, 'enrol', resource, { now: new Date(), villageCommitteeMayView: false });
      if (!d.allow) throw errors.forbidden(`you may not enrol a ${i.ownerClass} camera at ${where.village?.name ?? where.station!.name}: ${d.message}`, { reason: d.reason });
      if (i.ownerClass === 'household' && !where.village) {
        throw errors.outsideJurisdiction(`household cameras must be inside a village boundary; ${i.lat}, ${i.lon} is not`);
      }
      return where;
    },

    /** Enrols one camera: validate, authorise, probe, store (camera, consent, audit) in one transaction. */
    async enrol(actor: Subject & { username?: string }, i: EnrolInput, probed?: ProbeResult): Promise<Camera> {
      const problem = validateEnrolInput(i, portPolicy.forbidden);
      if (problem) throw errors.validation(problem);
      const where = await this.authorise(actor, i);
      if (await cameras.byEndpoint(i.host, i.port)) throw errors.conflict(`a camera at ${i.host}:${i.port} is already enrolled`);
      const p = probed ?? (await probe(i));
      const station = where.station!;
      const id = await withTx(db, async (tx) => {
        const repo = camerasRepository(tx);
        const ownerUserId = await ownerFor(i, where.village?.id ?? null, station.id, tx);
        const id = await repo.insert({
          deviceIdPrefix: deviceIdPrefix(station.code, i.ownerClass),
          name: i.name?.trim() || `${p.device.manufacturer} ${p.device.model}`.trim() || `${i.host}:${i.port}`,
          ownerClass: i.ownerClass, stationId: station.id, villageId: where.village?.id ?? null, ownerUserId,
          ownerName: i.ownerName ?? null, ownerPhone: i.ownerPhone ?? null, address: i.address ?? null,
          sharingMode: i.ownerClass === 'household' ? i.sharingMode! : null, delegatedToCommittee: i.delegatedToCommittee ?? false,
          lat: i.lat, lon: i.lon, jurisdictionOverride: null, onvifHost: i.host, onvifPort: i.port,
          credentialsEnc: cipher.encrypt({ username: i.username, password: i.password }),
          deviceInfo: { ...p.device }, clockOffsetMs: Math.max(-2e9, Math.min(2e9, Math.round(p.clockOffsetMs))), profiles: profilesOf(p),
          enabled: true, enrolledBy: actor.userId, mediaPorts: [...new Set(i.mediaPorts ?? [])],
        }, tx);
        if (i.ownerClass === 'household') {
          await repo.addConsent({ cameraId: id, sharingMode: i.sharingMode!, consentDate: i.consentDate!, recordedBy: actor.userId, documentRef: i.consentDocumentRef ?? null }, tx);
        }
        await audit.append({
          action: 'camera.enrol', outcome: 'ok', actorUserId: actor.userId, actorName: actor.username ?? null, cameraId: id, stationId: station.id,
          details: { host: i.host, port: i.port, ownerClass: i.ownerClass, sharingMode: i.sharingMode ?? null, consentDate: i.consentDate ?? null, ...(i.mediaPorts?.length ? { mediaPorts: i.mediaPorts } : {}) },
        }, tx);
        return id;
      });
      deps.events.publish({ type: 'camera.enrolled', stationIds: [station.id], payload: { cameraId: id } });
      return (await cameras.byId(id))!;
    },

    /** What a CSV row would change on an already-enrolled camera (the dry run shows it per row). */
    async diffRow(actor: Subject, existing: Camera, i: EnrolInput): Promise<RowDiff> {
      await mustManage(actor, existing.id);
      return diffFor(existing, i);
    },

    /**
     * Applies a CSV row to an already-enrolled camera. A different owner (another phone) is a new owner account and a
     * new consent record; the old owner loses the camera (access follows ownerUserId) and is told.
     */
    async updateFromRow(actor: Subject & { username?: string }, existing: Camera, i: EnrolInput): Promise<{ status: 'updated' | 'unchanged'; diff: RowDiff }> {
      await mustManage(actor, existing.id);
      const diff = await diffFor(existing, i);
      if (diff.fields.length === 0) return { status: 'unchanged', diff };
      const changed = new Set(diff.fields);
      const patch: Record<string, unknown> = {};
      if (changed.has('name')) patch.name = i.name;
      if (changed.has('address')) patch.address = i.address ?? null;
      if (changed.has('ownerName')) patch.ownerName = i.ownerName ?? null;
      if (changed.has('ownerPhone')) patch.ownerPhone = i.ownerPhone ?? null;
      if (changed.has('location')) {
        const where = await this.authorise(actor, i);
        Object.assign(patch, { lat: i.lat, lon: i.lon, stationId: where.station!.id, villageId: where.village?.id ?? null });
      }
      const sharingChanged = changed.has('sharingMode');
      if (sharingChanged) patch.sharingMode = i.sharingMode;
      const ports = i.mediaPorts ? [...new Set(i.mediaPorts)].sort((a, b) => a - b) : null;
      if (changed.has('mediaPorts')) patch.mediaPorts = ports;
      if (changed.has('credentials') || changed.has('mediaPorts')) {
        const probed = await probe({ ...i, mediaPorts: ports ?? existing.mediaPorts });
        Object.assign(patch, { credentialsEnc: cipher.encrypt({ username: i.username, password: i.password }), profiles: profilesOf(probed), deviceInfo: { ...probed.device } });
      }
      const oldOwner = existing.ownerUserId;
      await withTx(db, async (tx) => {
        const repo = camerasRepository(tx);
        let newOwner: Uuid | null = null;
        if (diff.ownerChange) {
          const villageId = (patch.villageId as Uuid | null | undefined) ?? existing.villageId;
          const stationId = (patch.stationId as Uuid | undefined) ?? existing.stationId;
          newOwner = await ownerFor(i, villageId, stationId, tx);
          patch.ownerUserId = newOwner;
          // The old owner's sharing choice is theirs: the new owner's consent is taken from the row.
          patch.sharingMode = i.sharingMode;
          patch.delegatedToCommittee = i.delegatedToCommittee ?? false;
        }
        await repo.update(existing.id, patch as never, tx);
        if (diff.ownerChange || sharingChanged) {
          await repo.addConsent({ cameraId: existing.id, sharingMode: i.sharingMode!, consentDate: i.consentDate!, recordedBy: actor.userId, documentRef: i.consentDocumentRef ?? null, ownerUserId: newOwner ?? existing.ownerUserId }, tx);
        }
        if (diff.ownerChange) {
          await audit.append({
            action: AUDIT.cameraOwnerChange, outcome: 'ok', actorUserId: actor.userId, actorName: actor.username ?? null, cameraId: existing.id, stationId: existing.stationId,
            details: { fromUserId: oldOwner, fromUsername: diff.ownerChange.fromUsername, toUserId: newOwner, toUsername: diff.ownerChange.toUsername, sharingMode: i.sharingMode, consentDate: i.consentDate },
          }, tx);
          if (oldOwner) {
            await noticesRepository(tx).add({ userId: oldOwner, kind: 'camera_owner_changed', actorUserId: actor.userId, message: `Camera “${existing.name}” is now registered to its new owner; you no longer see it or decide on requests for it.` }, tx);
          }
        }
        await audit.append({
          action: 'camera.update', outcome: 'ok', actorUserId: actor.userId, actorName: actor.username ?? null, cameraId: existing.id, stationId: existing.stationId,
          details: { fields: diff.fields },
        }, tx);
      });
      if (sharingChanged || diff.ownerChange || patch.stationId) deps.onCameraChanged?.(existing.id);
      if (diff.ownerChange) await deps.onOwnerChanged?.(existing.id);
      return { status: 'updated', diff };
    },

    /** Probes again; `mediaPorts`, when given, replaces the camera's own media ports if the probe passes with them. */
    async reprobe(actor: Subject & { username?: string }, id: Uuid, opts: { mediaPorts?: number[] } = {}): Promise<Camera> {
      const cam = await mustManage(actor, id);
      if (opts.mediaPorts) {
        const problem = validateEnrolInput({ host: cam.onvifHost, port: cam.onvifPort, username: 'x', password: '', ownerClass: 'police', lat: 0, lon: 0, mediaPorts: opts.mediaPorts }, portPolicy.forbidden);
        if (problem) throw errors.validation(problem);
      }
      let creds: { username: string; password: string };
      try {
        creds = cipher.decrypt(cam.credentialsEnc);
      } catch {
        throw new AppError('credentials_unreadable', 422, 'the stored camera credentials cannot be decrypted with any configured key; enter them again (a CSV row, or remove and enrol the camera)');
      }
      const mediaPorts = opts.mediaPorts ? [...new Set(opts.mediaPorts)].sort((a, b) => a - b) : cam.mediaPorts;
      const p = await probe({ host: cam.onvifHost, port: cam.onvifPort, ...creds, mediaPorts });
      await cameras.update(id, { profiles: profilesOf(p), deviceInfo: { ...p.device }, clockOffsetMs: Math.round(p.clockOffsetMs), ...(opts.mediaPorts ? { mediaPorts } : {}) });
      await audit.append({ action: 'camera.reprobe', outcome: 'ok', actorUserId: actor.userId, actorName: actor.username ?? null, cameraId: id, stationId: cam.stationId, ...(opts.mediaPorts ? { details: { mediaPorts } } : {}) });
      return (await cameras.byId(id))!;
    },

    async setEnabled(actor: Subject & { username?: string }, id: Uuid, enabled: boolean): Promise<Camera> {
      const cam = await mustManage(actor, id);
      await withTx(db, async (tx) => {
        await camerasRepository(tx).update(id, { enabled }, tx);
        await audit.append({ action: enabled ? 'camera.enable' : 'camera.disable', outcome: 'ok', actorUserId: actor.userId, actorName: actor.username ?? null, cameraId: id, stationId: cam.stationId }, tx);
      });
      deps.onCameraChanged?.(id);
      return (await cameras.byId(id))!;
    },

    /** Removal keeps the row (and so the audit history that names it); the camera disappears from lists. */
    async remove(actor: Subject & { username?: string }, id: Uuid): Promise<void> {
      const cam = await mustManage(actor, id);
      await withTx(db, async (tx) => {
        await camerasRepository(tx).markRemoved(id, tx);
        await audit.append({ action: 'camera.remove', outcome: 'ok', actorUserId: actor.userId, actorName: actor.username ?? null, cameraId: id, stationId: cam.stationId }, tx);
      });
      deps.onCameraChanged?.(id);
    },

    /** Owner (or delegated committee / station) changes the sharing mode with a new consent record. */
    async setSharing(actor: Subject & { username?: string }, id: Uuid, s: { sharingMode: SharingMode; consentDate: string; documentRef?: string | null; delegatedToCommittee?: boolean; emergencyBypass?: boolean }): Promise<Camera> {
      const cam = await mustManage(actor, id);
      if (cam.ownerClass !== 'household') throw errors.validation('only household cameras have a sharing mode');
      if (!DATE_RE.test(s.consentDate)) throw errors.validation(`consent date '${s.consentDate}' is not YYYY-MM-DD`);
      await withTx(db, async (tx) => {
        const repo = camerasRepository(tx);
        await repo.update(id, { sharingMode: s.sharingMode, ...(s.delegatedToCommittee !== undefined ? { delegatedToCommittee: s.delegatedToCommittee } : {}) }, tx);
        await repo.addConsent({ cameraId: id, sharingMode: s.sharingMode, consentDate: s.consentDate, recordedBy: actor.userId, documentRef: s.documentRef ?? null, emergencyBypass: s.emergencyBypass ?? false, ownerUserId: cam.ownerUserId }, tx);
        await audit.append({ action: 'camera.sharing', outcome: 'ok', actorUserId: actor.userId, actorName: actor.username ?? null, cameraId: id, stationId: cam.stationId, details: { from: cam.sharingMode, to: s.sharingMode, consentDate: s.consentDate, emergencyBypass: s.emergencyBypass ?? false } }, tx);
      });
      deps.onCameraChanged?.(id);
      return (await cameras.byId(id))!;
    },

    /** A system admin moves a camera to another station, with a reason in the audit log. */
    async overrideJurisdiction(actor: Subject & { username?: string }, id: Uuid, stationCode: string, reason: string): Promise<Camera> {
      const cam = await mustManage(actor, id);
      if (actor.role !== 'system_admin') throw errors.forbidden('only a system admin may override a camera\'s jurisdiction');
      const st = await deps.jurisdictionsRepo.byCode(stationCode);
      if (!st || st.kind !== 'station') throw errors.validation(`${stationCode} is not a station`);
      await withTx(db, async (tx) => {
        await camerasRepository(tx).update(id, { stationId: st.id, villageId: null, jurisdictionOverride: reason }, tx);
        await audit.append({ action: 'camera.jurisdiction_override', outcome: 'ok', actorUserId: actor.userId, actorName: actor.username ?? null, cameraId: id, stationId: st.id, reason, details: { from: cam.stationId, to: st.id } }, tx);
      });
      deps.onCameraChanged?.(id);
      return (await cameras.byId(id))!;
    },
  };

  async function diffFor(existing: Camera, i: EnrolInput): Promise<RowDiff> {
    // Unreadable stored credentials (credentials_unreadable) are replaced by the row's: that is how they get fixed.
    let creds: { username: string; password: string } | null = null;
    try {
      creds = cipher.decrypt(existing.credentialsEnc);
    } catch {
      creds = null;
    }
    const credsChanged = !creds || creds.username !== i.username || creds.password !== i.password;
    const current = existing.ownerUserId ? ((await deps.users.byId(existing.ownerUserId)) ?? null) : null;
    const diff = diffRow(existing, i, current, credsChanged);
    const ports = i.mediaPorts ? [...new Set(i.mediaPorts)].sort((a, b) => a - b) : null;
    if (ports !== null && ports.join(',') !== [...existing.mediaPorts].sort((a, b) => a - b).join(',')) diff.fields.push('mediaPorts');
    return diff;
  }

  async function mustManage(actor: Subject, id: Uuid): Promise<Camera> {
    const cam = await cameras.byId(id);
    if (!cam || cam.removedAt) throw errors.notFound('no such camera');
    const d = decide(actor, 'manage', toCameraResource(cam), { now: new Date(), villageCommitteeMayView: false });
    if (!d.allow) throw errors.forbidden(`you may not manage this camera: ${d.message}`, { reason: d.reason });
    return cam;
  }
}
export type EnrolmentService = ReturnType<typeof enrolmentService>;
