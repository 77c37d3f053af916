export type OnvifErrorCode =
  | 'unreachable'
  | 'timeout'
  | 'too_large'
  | 'not_onvif'
  | 'auth_failed'
  | 'soap_fault'
  | 'not_supported'
  | 'bad_response'
  | 'uri_rejected'
  | 'stream_port_not_allowed'
  | 'snapshot_port_not_allowed';

/** The one error type of the ONVIF client; `code` is stable, `message` is for humans and never holds a password. */
export class OnvifError extends Error {
  readonly code: OnvifErrorCode;

  constructor(code: OnvifErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OnvifError';
    this.code = code;
  }
}

export function isOnvifError(err: unknown, code?: OnvifErrorCode): err is OnvifError {
  return err instanceof OnvifError && (code === undefined || err.code === code);
}
