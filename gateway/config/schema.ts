import { Type, type Static } from 'typebox';

// Every key has a default here; config files and the environment overlay them.
const Port = Type.Integer({ minimum: 0, maximum: 65535 });

export const ConfigSchema = Type.Object(
  {
    profile: Type.Enum(['development', 'production', 'test'], { default: 'development' }),
    demo: Type.Boolean({ default: true, description: 'Load demo data and print demo passwords at start.' }),
    http: Type.Object(
      {
        host: Type.String({ minLength: 1, default: '127.0.0.1' }),
        port: Port,
        tlsCert: Type.Union([Type.String(), Type.Null()], { default: null }),
        tlsKey: Type.Union([Type.String(), Type.Null()], { default: null }),
        behindTlsProxy: Type.Boolean({ default: false }),
        bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 1024 * 1024 }),
        publicUrl: Type.Union([Type.String(), Type.Null()], { default: null }),
        /** A client must finish sending request headers within this time (slowloris). */
        headersTimeoutMs: Type.Integer({ minimum: 1000, maximum: 600_000, default: 30_000 }),
        /** ...and the whole request (headers and body; not the response, so live video is never cut). */
        requestTimeoutMs: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 60_000 }),
        /** Open TCP connections one address may hold; more are closed at once. */
        maxConnectionsPerAddress: Type.Integer({ minimum: 1, maximum: 100_000, default: 256 }),
      },
      { additionalProperties: false, default: {} },
    ),
    database: Type.Object(
      {
        url: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { default: null }),
        dataDir: Type.String({ minLength: 1, default: './data/pg' }),
        embeddedPort: Port,
        poolSize: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
        connectTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000 }),
        /** The runtime login (`shouwang_app`) when the migrating user may not give it one; null: generated and stored. */
        appUrl: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { default: null }),
      },
      { additionalProperties: false, default: {} },
    ),
    auth: Type.Object(
      {
        sessionTtlMinutes: Type.Integer({ minimum: 1, maximum: 7 * 24 * 60, default: 12 * 60 }),
        lockoutAttempts: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
        lockoutWindowMinutes: Type.Integer({ minimum: 1, maximum: 24 * 60, default: 15 }),
        loginRatePerMinute: Type.Integer({ minimum: 1, maximum: 100_000, default: 30, description: 'Deprecated: the per-address limit is loginRatePerAddressPerMinute.' }),
        /** Login attempts per source address per minute: high, a station's shift logs in behind one NAT. */
        loginRatePerAddressPerMinute: Type.Integer({ minimum: 1, maximum: 100_000, default: 600 }),
        /** Login attempts per account per minute, across every address and process. */
        loginRatePerAccountPerMinute: Type.Integer({ minimum: 1, maximum: 10_000, default: 30 }),
      },
      { additionalProperties: false, default: {} },
    ),
    access: Type.Object(
      {
        villageCommitteeMayView: Type.Boolean({ default: true }),
        tokenLeewaySeconds: Type.Integer({ minimum: 0, maximum: 300, default: 5 }),
        playTokenTtlSeconds: Type.Integer({ minimum: 10, maximum: 3600, default: 300 }),
        /** Video stops and play is refused once revocations could not be heard (LISTEN lost) for this long. */
        revocationDeafSeconds: Type.Integer({ minimum: 1, maximum: 300, default: 5 }),
      },
      { additionalProperties: false, default: {} },
    ),
    secrets: Type.Object(
      {
        /** 32-byte key, base64, for camera credentials at rest (AES-256-GCM). Demo mode generates one into the data dir. */
        credentialKey: Type.Union([Type.String(), Type.Null()], { default: null }),
        /** Older keys, still accepted for decryption until every camera was re-encrypted (rotation). */
        previousCredentialKeys: Type.Array(Type.String(), { default: [], maxItems: 10 }),
        /** Where a generated key is kept when credentialKey is not set (development and demo only). */
        credentialKeyFile: Type.String({ minLength: 1, default: './data/credential.key' }),
      },
      { additionalProperties: false, default: {} },
    ),
    cameras: Type.Object(
      {
        probeDeadlineMs: Type.Integer({ minimum: 200, maximum: 60_000, default: 5000 }),
        bulkConcurrency: Type.Integer({ minimum: 1, maximum: 512, default: 32 }),
        healthIntervalMs: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 60_000 }),
        healthJitter: Type.Number({ minimum: 0, maximum: 0.5, default: 0.1 }),
        healthConcurrency: Type.Integer({ minimum: 1, maximum: 2048, default: 128 }),
        healthDeadlineMs: Type.Integer({ minimum: 200, maximum: 60_000, default: 3000 }),
        healthSlowMs: Type.Integer({ minimum: 50, maximum: 60_000, default: 2000 }),
        healthMaxClockSkewMs: Type.Integer({ minimum: 1000, maximum: 86_400_000, default: 300_000 }),
        healthEnabled: Type.Boolean({ default: true }),
        /** RTSP ports every camera may name in its stream URIs; an operator adds a camera's own at enrolment. */
        mediaPorts: Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { default: [554, 8554], maxItems: 16 }),
        /** Extra HTTP ports for snapshot URIs, besides the camera's ONVIF port, 80 and 443. */
        snapshotPorts: Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { default: [], maxItems: 16 }),
      },
      { additionalProperties: false, default: {} },
    ),
    media: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        /** node-media-server child processes; streams are spread over them by camera. */
        workers: Type.Integer({ minimum: 1, maximum: 16, default: 1 }),
        /** Worker i listens on rtmpBasePort+i (ingest) and httpBasePort+i (FLV), 127.0.0.1 only. */
        rtmpBasePort: Port,
        httpBasePort: Port,
        pullIdleMs: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 30_000 }),
        /** Per-viewer buffered bytes before frames are skipped, then the viewer dropped; 0 = about two GOPs. */
        viewerBufferBytes: Type.Integer({ minimum: 0, maximum: 64 * 1024 * 1024, default: 0 }),
        ffmpegPath: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { default: null }),
        audio: Type.Enum(['copy', 'none'], { default: 'copy' }),
      },
      { additionalProperties: false, default: {} },
    ),
    tracing: Type.Object(
      {
        /** Travel speeds by mode, km/h, for "reachable within N minutes". */
        speedsKmh: Type.Object(
          {
            foot: Type.Number({ minimum: 1, maximum: 20, default: 5 }),
            ebike: Type.Number({ minimum: 5, maximum: 80, default: 20 }),
            car: Type.Number({ minimum: 10, maximum: 200, default: 50 }),
          },
          { additionalProperties: false, default: {} },
        ),
        /** Road distance ÷ straight-line distance. */
        roadFactor: Type.Number({ minimum: 1, maximum: 3, default: 1.3 }),
        /** Longest travel time a reachable search accepts. */
        maxMinutes: Type.Integer({ minimum: 1, maximum: 1440, default: 360 }),
        defaultSlackMinutes: Type.Integer({ minimum: 0, maximum: 240, default: 10 }),
        maxCamerasPerAnswer: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }),
        maxCorridorWidthM: Type.Integer({ minimum: 10, maximum: 10_000, default: 2000 }),
        /** A request polygon larger than this is refused (a province is not a search area). */
        maxPolygonKm2: Type.Number({ minimum: 0.01, maximum: 100_000, default: 400 }),
      },
      { additionalProperties: false, default: {} },
    ),
    footage: Type.Object(
      {
        /** Evidence exports (clip + signed manifest) are written here. */
        exportDir: Type.String({ minLength: 1, default: './data/exports' }),
        /** Longest window one export may cover. */
        maxExportMinutes: Type.Integer({ minimum: 1, maximum: 24 * 60, default: 120 }),
        /** A playback session with no segment request for this long is closed. */
        playbackIdleMs: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 120_000 }),
        /** A segment starting more than this after the previous one ended is marked as a discontinuity in playlists. */
        rangeToleranceMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 1500 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Gateway-side recording (media/recorder): police and village cameras record continuously by default, household ones only with the owner's consent. */
    recording: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        dir: Type.String({ minLength: 1, default: './data/recordings' }),
        segmentSeconds: Type.Integer({ minimum: 2, maximum: 60, default: 10 }),
        /** Below this free space the oldest unheld footage is deleted; with nothing deletable, writing stops. */
        minFreeBytes: Type.Integer({ minimum: 0, default: 2 * 1024 ** 3 }),
        retentionDays: Type.Object(
          {
            police: Type.Integer({ minimum: 0, maximum: 3650, default: 30 }),
            village: Type.Integer({ minimum: 0, maximum: 3650, default: 30 }),
            household: Type.Integer({ minimum: 0, maximum: 3650, default: 7 }),
          },
          { additionalProperties: false, default: {} },
        ),
        /** Bytes each owner class may hold; 0 = no quota. */
        quotaBytes: Type.Object(
          {
            police: Type.Integer({ minimum: 0, default: 0 }),
            village: Type.Integer({ minimum: 0, default: 0 }),
            household: Type.Integer({ minimum: 0, default: 0 }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    log: Type.Object(
      {
        level: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
      },
      { additionalProperties: false, default: {} },
    ),
    audit: Type.Object(
      {
        /** Signed checkpoints of the audit chain this often (and one at shutdown); 0 = only at shutdown. */
        checkpointIntervalSeconds: Type.Integer({ minimum: 0, maximum: 86_400, default: 300 }),
        /** Refusals without a valid identity from one address: one row, then one aggregate row per interval. */
        refusalIntervalSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 60 }),
        /** Addresses tracked at once by the refusal aggregator (memory bound); the oldest is flushed first. */
        refusalMaxAddresses: Type.Integer({ minimum: 10, maximum: 1_000_000, default: 10_000 }),
        /** Media requests without a token, per address per minute, before 429 rate_limited. */
        anonymousMediaPerMinute: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 120 }),
      },
      { additionalProperties: false, default: {} },
    ),
    viewer: Type.Object(
      {
        /** Optional slippy-map tile URL template ({z}/{x}/{y}); without it the map draws boundaries only (offline). */
        tileUrl: Type.Union([Type.String({ minLength: 1, maxLength: 500, pattern: '^https?://' }), Type.Null()], { default: null }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
