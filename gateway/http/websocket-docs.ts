// @fastify/websocket hides every `websocket: true` route from the OpenAPI document; these two are described here.
type OpenApi = { paths?: Record<string, Record<string, unknown>> } & Record<string, unknown>;

const errorBody = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } },
};
const error = (description: string) => ({ description, content: { 'application/json': { schema: errorBody } } });
const upgradeHeaders = [
  { in: 'header', name: 'Connection', required: true, schema: { type: 'string', enum: ['Upgrade'] } },
  { in: 'header', name: 'Upgrade', required: true, schema: { type: 'string', enum: ['websocket'] } },
];

export const WEBSOCKET_PATHS: Record<string, Record<string, unknown>> = {
  '/api/v1/events': {
    get: {
      tags: ['events'],
      summary: 'WebSocket: grant requests, decisions, revocations and camera state the user may see',
      description: [
        'A WebSocket (GET with `Connection: Upgrade`, `Upgrade: websocket`). Browsers cannot set headers on a WebSocket, so the',
        'session token comes as `?token=` or as the first message `{"type":"auth","token":"…"}` within 5 s.',
        '',
        'Server messages (JSON text): `{"type":"ready","payload":{"userId","stationId"}}` once authenticated; then events',
        '`{"type","at","payload"}` of the types `grant.requested`, `grant.decided`, `grant.revoked`, `grant.emergency`,',
        '`grant.reviewed`, `grant.expired`, `camera.state`, each only to users it names or whose station and role it concerns;',
        '`{"type":"error","payload":{"code":"unauthenticated","message"}}` before a 4001 close.',
        '',
        'Close codes: **4001** not authenticated (no or bad token, nothing within 5 s, logged out, account disabled);',
        '**1001** the gateway is shutting down; **1009** a client message over 4 KiB.',
      ].join('\n'),
      parameters: [
        { in: 'query', name: 'token', required: false, description: 'Session bearer token (else send it as the first message)', schema: { type: 'string', maxLength: 200 } },
        ...upgradeHeaders,
      ],
      responses: {
        101: { description: 'Switching Protocols: the event stream follows as WebSocket text frames' },
        400: error('Not a WebSocket upgrade, or an invalid query'),
      },
    },
  },
  '/media/live/{cameraId}.ws': {
    get: {
      tags: ['media'],
      summary: 'WebSocket-FLV live view of one camera (WS-FLV, for mpegts.js and similar players)',
      description: [
        'A WebSocket (GET with `Connection: Upgrade`, `Upgrade: websocket`). The play token from `POST /api/v1/play-tokens`',
        '(`action: "live"`) is checked before the upgrade: a refused viewer gets the HTTP error below and no socket.',
        '',
        'Once open, the server sends binary frames: the FLV header, the stream metadata and sequence headers, then FLV tags',
        'starting at a keyframe. The client sends nothing.',
        '',
        'Close codes: **4000** with the reason as close text: `expired` (token or grant window over), `grant_revoked`,',
        '`grant_expired`, `session_logged_out`, `user_disabled`, `camera_changed` (sharing, jurisdiction, disable, removal),',
        '`slow_viewer` (the viewer fell more than about two GOPs behind), `source_lost`, `worker_restart`, `shutdown`;',
        'for a viewer who gets the owner\'s privacy mask also `mask_changed` (a new mask version, or a lift for the grant:',
        'reconnect) and `mask_transcode_failed`, `mask_transcode_stalled`, `mask_transcode_slow` (the masked picture',
        'stopped; the original is never sent instead); **1011** internal error.',
      ].join('\n'),
      parameters: [
        { in: 'path', name: 'cameraId', required: true, schema: { type: 'string', format: 'uuid' } },
        { in: 'query', name: 'token', required: false, description: 'Play token (or `Authorization: Bearer`)', schema: { type: 'string', maxLength: 8192 } },
        { in: 'query', name: 'stream', required: false, schema: { type: 'string', enum: ['main', 'sub'], default: 'main' } },
        ...upgradeHeaders,
      ],
      responses: {
        101: { description: 'Switching Protocols: FLV follows as binary WebSocket frames' },
        400: error('Invalid camera id or query'),
        401: error('token_missing, token_invalid or token_expired'),
        403: error('access_denied (with a reason), grant_revoked, grant_expired'),
        404: error('No such camera'),
        503: error('The camera is not delivering video (offline) or no media worker is available, or mask_unavailable (the masked view could not be started); retry later'),
      },
    },
  },
};

/** For swagger's `transformObject`: adds the WebSocket routes to the document (a route documented otherwise wins). */
export function documentWebsockets<T extends OpenApi>(doc: T): T {
  const paths = { ...(doc.paths ?? {}) };
  for (const [path, item] of Object.entries(WEBSOCKET_PATHS)) {
    if (!paths[path]?.['get']) paths[path] = { ...(paths[path] ?? {}), ...item };
  }
  const tags = (doc['tags'] as { name: string }[] | undefined) ?? [];
  return { ...doc, paths, ...(tags.length ? { tags } : {}) };
}
