// Every audit action name, in one place: writers and readers import these, so a reader can never
// filter on a name no writer writes. AuditInput.action is typed AuditAction: a new name goes here first.

export const AUDIT = {
  // sign-in and accounts
  authLogin: 'auth.login',
  authLogout: 'auth.logout',
  userDisable: 'user.disable',
  userEnable: 'user.enable',
  userPassword: 'user.password',
  userActivate: 'user.activate',
  // jurisdictions and cameras
  jurisdictionSave: 'jurisdiction.save',
  cameraEnrol: 'camera.enrol',
  cameraUpdate: 'camera.update',
  cameraReprobe: 'camera.reprobe',
  cameraEnable: 'camera.enable',
  cameraDisable: 'camera.disable',
  cameraRemove: 'camera.remove',
  cameraSharing: 'camera.sharing',
  cameraOwnerChange: 'camera.owner_change',
  cameraJurisdictionOverride: 'camera.jurisdiction_override',
  cameraMask: 'camera.mask',
  // grants
  grantRequest: 'grant.request',
  grantEmergency: 'grant.emergency',
  grantExtend: 'grant.extend',
  grantJoin: 'grant.join',
  grantApprove: 'grant.approve',
  grantDeny: 'grant.deny',
  grantRevoke: 'grant.revoke',
  grantWithdraw: 'grant.withdraw',
  grantReview: 'grant.review',
  grantExpire: 'grant.expire',
  /** The first requester withdrew; a joined request took the lead or stands alone. */
  grantHandOver: 'grant.hand_over',
  /** A home camera changed owner: its pending requests went to the new owner, or lost the camera. */
  grantReroute: 'grant.reroute',
  // video: every byte that leaves the gateway
  playToken: 'play.token',
  liveOpen: 'video.live.open',
  liveClose: 'video.live.close',
  liveRefused: 'video.live.refused',
  snapshot: 'video.snapshot',
  snapshotRefused: 'video.snapshot.refused',
  playbackOpen: 'video.playback.open',
  playbackClose: 'video.playback.close',
  playbackRefused: 'video.playback.refused',
  exportCreate: 'video.export',
  exportRefused: 'video.export.refused',
  exportDownload: 'video.export.download',
  /** Many token-less refusals from one address, aggregated into one row per interval. */
  refusedFlood: 'video.refused.aggregate',
  // recording and footage holds
  holdCreate: 'footage.hold',
  holdRelease: 'footage.release',
  // cases and route tracing
  caseCreate: 'case.create',
  caseUpdate: 'case.update',
  caseClose: 'case.close',
  caseMember: 'case.member',
  sightingSave: 'sighting.save',
  routeReport: 'route.report',
  // the audit log itself
  auditExport: 'audit.export',
  auditOwnerView: 'audit.owner_view',
  auditCheckpoint: 'audit.checkpoint',
} as const;

export type AuditAction = (typeof AUDIT)[keyof typeof AUDIT];

/** What a household owner sees as "someone looked at my camera". */
export const VIDEO_ACCESS_ACTIONS: readonly AuditAction[] = [
  AUDIT.playToken,
  AUDIT.liveOpen,
  AUDIT.snapshot,
  AUDIT.playbackOpen,
  AUDIT.exportCreate,
];

const ALL = new Set<string>(Object.values(AUDIT));
export function isAuditAction(s: string): s is AuditAction {
  return ALL.has(s);
}
