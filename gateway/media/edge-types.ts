// What the live edge needs from the rest of the gateway, and what it shows back.
import type { StreamKind } from './sources/pulls.ts';

export type EdgeAction = 'live' | 'snapshot';


export interface Authorization {
  userId: string;
  grantId: string | null;
  /** Access must end by this time (token expiry, grant end, live window end). */
  until: Date;
  /** Groups sessions opened with the same login/token, so logout can close them. */
  sessionKey: string;
  caseNo?: string | null;
  footage?: { from: Date; to: Date } | null;
  /** Session-registry keys (authorize.ts); derived from the fields above when absent. */
  revocationKeys?: string[];
}

export interface CameraSource {
  /** With credentials: stays inside the gateway. */
  rtspUrl: string;
  state: 'online' | 'offline' | 'unknown' | string;
  snapshotUrl?: string;
  username?: string;
  password?: string;
}

export type AuditEvent = {
  type: 'live.open' | 'live.close' | 'live.refused' | 'snapshot';
  userId?: string;
  cameraId: string;
  grantId?: string | null;
  bytes?: number;
  durationMs?: number;
  reason?: string;
  code?: string;
  /** The viewer's address: refusals without a valid identity are aggregated per address. */
  ip?: string;
  /** Live views: the privacy-mask version blurred for this viewer (null: the original picture). */
  maskVersion?: number | null;
  /** Live views: the mask version the owner lifted for this viewer's grant (null: none). */
  maskLifted?: number | null;
};

/** Which privacy mask a live viewer gets (gateway/media/masks: owners and lifted grants get none). */
export interface LiveMaskDecision {
  mask: { version: number; rects: Array<{ x: number; y: number; w: number; h: number }> } | null;
  liftedVersion: number | null;
}

export interface EdgeDeps {
  /** Throws AppError (token_missing, token_invalid, token_expired, forbidden, grant_revoked…) to refuse. */
  authorize(input: { token: string | undefined; cameraId: string; action: EdgeAction; ip: string }): Promise<Authorization>;
  /** undefined → 404 not_found. */
  resolveCamera(cameraId: string, stream: StreamKind): Promise<CameraSource | undefined>;
  audit(event: AuditEvent): void;
  /** The privacy mask this viewer gets on this camera; throws to refuse (fail closed). Absent: no masks. */
  liveMask?(cameraId: string, userId: string, grantId: string | null): Promise<LiveMaskDecision>;
}

export interface ViewerSessionInfo {
  id: string;
  userId: string;
  cameraId: string;
  stream: StreamKind;
  grantId: string | null;
  sessionKey: string;
  ip: string;
  transport: 'http-flv' | 'ws-flv';
  openedAt: Date;
  until: Date;
  bytes: number;
  /** The privacy-mask version this viewer sees blurred (null: the original). */
  maskVersion?: number | null;
}

/** A viewer connection, whatever carries it. */
export interface ViewerSink {
  write(b: Buffer): void;
  /** Bytes accepted but not yet handed to the kernel. */
  buffered(): number;
  close(reason: string): void;
  onClose(cb: () => void): void;
}
