// One registry of coded errors. Services throw these; the HTTP layer maps them.

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details?: Record<string, unknown>;
  constructor(code: string, status: number, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    if (details) this.details = details;
  }
}

const make =
  (code: string, status: number) =>
  (message: string, details?: Record<string, unknown>): AppError =>
    new AppError(code, status, message, details);

export const errors = {
  badRequest: make('bad_request', 400),
  validation: make('validation_failed', 400),
  unauthenticated: make('unauthenticated', 401),
  invalidCredentials: make('invalid_credentials', 401),
  accountLocked: make('account_locked', 423),
  forbidden: make('forbidden', 403),
  notFound: make('not_found', 404),
  conflict: make('conflict', 409),
  unprocessable: make('unprocessable', 422),
  outsideJurisdiction: make('outside_jurisdiction', 422),
  tooLarge: make('payload_too_large', 413),
  unavailable: make('unavailable', 503),
  // token and grant codes used by the access layer and media edge
  tokenMissing: make('token_missing', 401),
  tokenInvalid: make('token_invalid', 401),
  tokenExpired: make('token_expired', 401),
  grantExpired: make('grant_expired', 403),
  grantRevoked: make('grant_revoked', 403),
  cameraOffline: make('camera_offline', 503),
  // grants and agreements
  accessDenied: make('access_denied', 403),
  noAgreement: make('no_agreement', 403),
  outsideAgreement: make('outside_agreement', 403),
  notApprover: make('not_approver', 403),
  grantNotPending: make('grant_not_pending', 409),
  staleVersion: make('stale_version', 409),
  narrowNotSubset: make('narrow_not_subset', 400),
  cameraNotRequestable: make('camera_not_requestable', 403),
  // the database or the revocation feed is down: retry shortly
  databaseUnavailable: make('database_unavailable', 503),
  revocationsUnavailable: make('revocations_unavailable', 503),
  // revocation and grants (trust-revoke)
  rateLimited: make('rate_limited', 429),
  grantAmbiguous: make('grant_ambiguous', 409),
  grantAlreadyReviewed: make('grant_already_reviewed', 409),
  notActivatable: make('account_already_active', 403),
  // cases and route tracing
  caseNumberTaken: make('case_number_taken', 409),
  caseClosed: make('case_closed', 409),
  timeOutOfRange: make('time_out_of_range', 400),
  travelTimeTooLong: make('travel_time_too_long', 400),
  polygonSelfIntersects: make('polygon_self_intersects', 400),
  areaTooLarge: make('area_too_large', 400),
  tooManyCameras: make('too_many_cameras', 400),
  // recorded footage (details.nearest: the nearest allowed or recorded range)
  footageOutsideGrant: make('footage_outside_grant', 403),
  footageNotRecorded: make('footage_not_recorded', 404),
  playbackClosed: make('playback_closed', 403),
  exportNotReady: make('export_not_ready', 409),
  // masked live view: the blurred picture could not be produced (the original is never served instead)
  maskUnavailable: make('mask_unavailable', 503),
} as const;

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
