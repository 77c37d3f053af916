// The media edge's view of the gateway: the access runtime decides, the camera repository says where to pull, the audit log records.
import type { Gateway } from '../compose.ts';
import { AUDIT as ACTIONS, type AuditAction } from '../audit/actions.ts';
import type { EdgeDeps, AuditEvent } from './edge-types.ts';
import type { MediaRuntime } from './runtime.ts';
import type { CameraProfile } from '../repositories/cameras.repository.ts';
import { authorizeOver } from './authorize.ts';
import { closeOnRevocation } from './sessions.ts';
import { checkPullTarget } from './sources/pull-target.ts';
import { mediaPortPolicy, mediaPortRules } from '../cameras/media-ports.ts';
import { AppError } from '../errors.ts';
import { gatewayMasks } from './masks/gateway-masks.ts';

/** What a viewer hears when a camera's media URL is refused: the detail is for operators (the log). */
const notDelivering = (): AppError => new AppError('camera_unavailable', 503, 'The camera is not delivering video.');

function withCredentials(uri: string, username: string, password: string): string {
  const u = new URL(uri);
  u.username = encodeURIComponent(username);
  u.password = encodeURIComponent(password);
  return u.toString();
}

function snapshotPortAllowed(uri: string, ports: readonly number[]): boolean {
  const u = new URL(uri);
  return ports.includes(u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80);
}

const AUDIT: Record<AuditEvent['type'], { action: AuditAction; outcome: 'allow' | 'deny' | 'info' }> = {
  'live.open': { action: ACTIONS.liveOpen, outcome: 'allow' },
  'live.close': { action: ACTIONS.liveClose, outcome: 'info' },
  'live.refused': { action: ACTIONS.liveRefused, outcome: 'deny' },
  snapshot: { action: ACTIONS.snapshot, outcome: 'allow' },
};

/** Audit rows still being written: shutdown waits for them so `shutdown` closes reach the log. */
const inFlight = new Set<Promise<void>>();
export async function auditsWritten(): Promise<void> {
  await Promise.all([...inFlight]);
}

export function edgeDepsFor(gw: Gateway): EdgeDeps {
  const masks = gatewayMasks(gw);
  return {
    authorize: authorizeOver(gw.access),

    async liveMask(cameraId, userId, grantId) {
      const d = await masks.forViewer(cameraId, userId, grantId);
      const m = d.masks.at(-1);
      return { mask: m ? { version: m.version, rects: m.rects } : null, liftedVersion: d.lifted?.maskVersion ?? null };
    },

    async resolveCamera(cameraId, stream) {
      if (!/^[0-9a-f-]{36}$/i.test(cameraId)) return undefined;
      const cam = await gw.repos.cameras.byId(cameraId);
      if (!cam || cam.removedAt) return undefined;
      const profile: CameraProfile | undefined = stream === 'sub' ? (cam.profiles[1] ?? cam.profiles[0]) : cam.profiles[0];
      if (!profile) return undefined;
      // The configured media ports plus the camera's own (given at enrolment); never the gateway's own ports.
      const portRules = mediaPortRules(mediaPortPolicy(gw.config), cam);
      const rules = {
        enrolledHost: cam.onvifHost,
        mediaPorts: portRules.stream,
        // The embedded database's port too, even beside an external database (as the pull pin always had it).
        gatewayPorts: [...portRules.forbidden, gw.config.database.embeddedPort],
      };
      const verdict = checkPullTarget(profile.streamUri, rules);
      if (!verdict.ok) {
        gw.log.warn({ cameraId, reason: verdict.reason, uri: profile.streamUri.replace(/\/\/[^/@]*@/, '//***@') }, 'camera media URL refused at pull time');
        throw notDelivering();
      }
      const snapOk = profile.snapshotUri
        ? checkPullTarget(profile.snapshotUri, { ...rules, schemes: ['http:', 'https:'] }).ok && snapshotPortAllowed(profile.snapshotUri, portRules.snapshot)
        : false;
      let creds: { username: string; password: string };
      try {
        creds = gw.cipher.decrypt(cam.credentialsEnc);
      } catch {
        gw.log.warn({ cameraId }, 'camera credentials cannot be decrypted with any configured key (credentials_unreadable)');
        throw notDelivering();
      }
      const { username, password } = creds;
      return {
        rtspUrl: withCredentials(profile.streamUri, username, password),
        state: cam.enabled ? cam.state : 'offline',
        ...(snapOk && profile.snapshotUri ? { snapshotUrl: profile.snapshotUri, username, password } : {}),
      };
    },

    audit(e) {
      const { action, outcome } = AUDIT[e.type];
      // Token-less and forged-token refusals: one row per address per interval, the rest counted (audit/refusal-aggregator.ts).
      if (e.type === 'live.refused' && !e.userId && e.ip && (e.code === 'token_missing' || e.code === 'token_invalid')) {
        const first = gw.refusals.note({ ip: e.ip, path: e.cameraId, code: e.code }, { action, outcome, cameraId: e.cameraId, reason: e.reason ?? e.code, details: { ip: e.ip, code: e.code } });
        if (first) void gw.repos.audit.append(first).catch((err: unknown) => gw.log.error({ err }, 'audit of a media refusal failed'));
        return;
      }
      const p = (async () => {
        const grant = e.grantId ? await gw.repos.grants.byId(e.grantId) : undefined;
        await gw.repos.audit.append({
          action, outcome, actorUserId: e.userId ?? null, cameraId: e.cameraId, grantId: e.grantId ?? null,
          caseNo: grant?.caseNo ?? null, stationId: grant?.ownerStationId ?? null,
          reason: e.reason ?? e.code ?? null,
          details: {
            ...(e.bytes !== undefined ? { bytes: e.bytes } : {}), ...(e.durationMs !== undefined ? { durationMs: e.durationMs } : {}),
            // as playback writes it: the mask versions blurred for this viewer ([] = the original), and any lift
            ...(e.maskVersion !== undefined ? { masks: e.maskVersion === null ? [] : [e.maskVersion] } : {}),
            ...(e.maskLifted !== undefined ? { maskLifted: e.maskLifted } : {}),
          },
        });
      })().catch((err: unknown) => gw.log.error({ err }, 'audit of a media event failed'));
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    },
  };
}

/** Revocations, logouts, disabled users and access-relevant camera changes close open media sessions at once. */
export function closeSessionsOnRevocation(gw: Gateway, media: MediaRuntime): () => void {
  return closeOnRevocation((l) => gw.access.onRevocation(l), media.sessions);
}
