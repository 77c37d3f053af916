// Messages between the gateway's worker supervisor and a media worker child (IPC).

export interface WorkerChildConfig {
  index: number;
  rtmpPort: number;
  httpPort: number;
  /** Shared with the gateway only; sent over IPC, never on a command line or in the environment. */
  secret: string;
  /** Per-worker scratch directory (node-media-server's store); wiped on start. */
  dataDir: string;
  /** node-media-server log level inside the child. */
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export interface StreamStat {
  path: string;
  publishing: boolean;
  subscribers: number;
}

export type ToChild =
  | { type: 'start'; config: WorkerChildConfig }
  | { type: 'stats'; id: number }
  | { type: 'addRtspTask'; id: number; url: string; streamPath: string }
  | { type: 'removeTask'; id: number; streamPath: string }
  | { type: 'endPublish'; id: number; streamPath: string }
  | { type: 'stop' };

export type FromChild =
  | { type: 'ready' }
  | { type: 'fatal'; message: string }
  | { type: 'rejectedPublish'; path: string }
  | { type: 'reply'; id: number; ok: boolean; error?: string; streams?: StreamStat[]; rssKb?: number };
