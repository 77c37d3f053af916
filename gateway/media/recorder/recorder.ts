// The recorder: which cameras record (policy), one CameraRecorder each, the index (segments and gaps),
// start-up repair, retention by age, class quota and free space — never deleting held footage — and
// holds for approved grants' footage windows.
import { mkdir, statfs } from 'node:fs/promises';
import type { RecordingsRepository, Hold } from '../../repositories/recordings.repository.ts';
import { CameraRecorder, type FinishedSegment, type RecorderState, type SourceHolder, type Stream } from './camera-recorder.ts';
import { planFor, type CameraRecordingPlan, type OwnerClass, type RecordingConfig } from './policy.ts';
import { repairIndex, type RepairReport } from './repair.ts';
import type { LocalSegmentStore } from './segment-store.ts';

export interface RecorderDeps {
  repo: RecordingsRepository;
  store: LocalSegmentStore;
  config: RecordingConfig;
  ffmpegPath: string;
  source: SourceHolder;
  /** A camera's recording state changed (disk_full, offline, recording…): publish it like camera.state. */
  onState(cameraId: string, state: RecorderState, reason: string | null): void;
  /** Audit a hold's creation or release. */
  auditHold(e: { op: 'create' | 'release'; hold: Hold; userId: string | null; reason: string }): Promise<void>;
  log(level: 'info' | 'warn' | 'error', msg: string, detail?: Record<string, unknown>): void;
  /** Free bytes of the store's file system (tests pass their own). */
  freeBytes?: () => Promise<number>;
  retentionIntervalMs?: number;
}

export interface RetentionReport {
  deleted: number;
  deletedBytes: number;
  fullClasses: OwnerClass[];
  diskFull: boolean;
}

export class Recorder {
  private readonly recorders = new Map<string, CameraRecorder>();
  private plans = new Map<string, CameraRecordingPlan>();
  private fullClasses = new Set<OwnerClass>();
  private diskFull = false;
  private timer: NodeJS.Timeout | null = null;
  private retaining: Promise<RetentionReport> | null = null;
  lastRepair: RepairReport | null = null;

  constructor(private readonly d: RecorderDeps) {}

  /** Repairs the index from disk, then starts every camera the policy records. */
  async start(): Promise<void> {
    // A fresh install has no store yet; free-space checks and repair need it to exist.
    await mkdir(this.d.store.root, { recursive: true });
    const rows = await this.d.repo.policyRows();
    this.plans = new Map(rows.map((r) => [r.cameraId, planFor(r, this.d.config)]));
    this.lastRepair = await repairIndex({
      store: this.d.store, repo: this.d.repo, segmentSeconds: this.d.config.segmentSeconds,
      knownCameras: new Set(rows.map((r) => r.cameraId)),
      log: (msg, detail) => this.d.log('warn', msg, detail),
    });
    if (this.lastRepair.repaired || this.lastRepair.corrupt) this.d.log('info', 'recording index repaired', { ...this.lastRepair });
    await this.retention();
    for (const p of this.plans.values()) if (p.record) this.startCamera(p.cameraId, 'main');
    this.timer = setInterval(() => void this.retention().catch((err: unknown) => this.d.log('error', 'retention failed', { err: String(err) })), this.d.retentionIntervalMs ?? 60_000);
    this.timer.unref();
  }

  /** Re-reads policy (a camera's consent or settings changed) and starts/stops recorders to match. */
  async reconcile(): Promise<void> {
    const rows = await this.d.repo.policyRows();
    this.plans = new Map(rows.map((r) => [r.cameraId, planFor(r, this.d.config)]));
    for (const [key, rec] of this.recorders) {
      const cameraId = key.split('\n')[0]!;
      if (!this.plans.get(cameraId)?.record) {
        this.recorders.delete(key);
        await rec.stop('not_recording');
      }
    }
    for (const p of this.plans.values()) if (p.record) this.startCamera(p.cameraId, 'main');
  }

  recorder(cameraId: string, stream: Stream = 'main'): CameraRecorder | undefined {
    return this.recorders.get(`${cameraId}\n${stream}`);
  }

  states(): Array<{ cameraId: string; stream: Stream; state: RecorderState; segments: number; lastError: string | null }> {
    return [...this.recorders.entries()].map(([k, r]) => {
      const [cameraId, stream] = k.split('\n') as [string, Stream];
      return { cameraId, stream, state: r.state, segments: r.segments, lastError: r.lastError };
    });
  }

  private startCamera(cameraId: string, stream: Stream): void {
    const key = `${cameraId}\n${stream}`;
    if (this.recorders.has(key)) return;
    const plan = this.plans.get(cameraId)!;
    const rec = new CameraRecorder({
      cameraId,
      stream,
      segmentSeconds: plan.segmentSeconds,
      store: this.d.store,
      ffmpegPath: this.d.ffmpegPath,
      source: this.d.source,
      index: (seg) => this.index(seg),
      onState: (state, reason) => this.d.onState(cameraId, state, reason),
      canWrite: () => !this.diskFull && !this.fullClasses.has(plan.ownerClass),
    });
    this.recorders.set(key, rec);
    rec.start();
  }

  /** Indexes a finished segment; the first of a run records the gap since the previous one. */
  private async index(seg: FinishedSegment): Promise<void> {
    if (seg.after !== null) {
      const prev = await this.d.repo.latestSegment(seg.cameraId, seg.stream);
      if (prev && seg.startAt.getTime() - prev.endAt.getTime() > 1000) {
        await this.d.repo.insertGap({ cameraId: seg.cameraId, stream: seg.stream, startAt: prev.endAt, endAt: seg.startAt, reason: seg.after });
      }
    }
    const { after: _a, ...row } = seg;
    await this.d.repo.insertSegment(row);
  }

  /** One retention pass (serialised): age, class quota, free space. Held footage is never deleted. */
  retention(): Promise<RetentionReport> {
    this.retaining ??= this.retentionPass().finally(() => {
      this.retaining = null;
    });
    return this.retaining;
  }

  private async retentionPass(): Promise<RetentionReport> {
    const report: RetentionReport = { deleted: 0, deletedBytes: 0, fullClasses: [], diskFull: false };
    const del = async (batch: Array<{ id: number; path: string; bytes: number }>): Promise<number> => {
      let n = 0;
      // one statement per batch (ranges rebuilt once); a row goes only if no hold overlaps it now; files follow rows
      for (const s of await this.d.repo.deleteSegmentsIfUnheld(batch.map((x) => x.id))) {
        await this.d.store.remove(s.path);
        report.deleted++;
        report.deletedBytes += s.bytes;
        n += s.bytes;
      }
      return n;
    };
    // 1. age, per camera plan
    const now = Date.now();
    for (const p of this.plans.values()) {
      const before = new Date(now - p.retentionDays * 86_400_000);
      for (let i = 0; i < 100; i++) {
        const batch = await this.d.repo.unheldOldest({ before, cameraIds: [p.cameraId], limit: 500 });
        if (batch.length === 0) break;
        await del(batch);
      }
    }
    // 2. quota per class
    const bytes = await this.d.repo.bytesByCamera();
    const full = new Set<OwnerClass>();
    for (const cls of ['police', 'village', 'household'] as OwnerClass[]) {
      const quota = this.d.config.classes[cls].quotaBytes;
      if (!quota) continue;
      const cams = [...this.plans.values()].filter((p) => p.ownerClass === cls).map((p) => p.cameraId);
      let used = cams.reduce((a, c) => a + (bytes.get(c) ?? 0), 0);
      // keep one segment's worth of headroom per recording camera so the next segment fits
      const headroom = cams.length * 2 * 1024 * 1024;
      for (let i = 0; i < 100 && used + headroom > quota; i++) {
        const batch = await this.d.repo.unheldOldest({ cameraIds: cams, limit: 50 });
        if (batch.length === 0) break;
        used -= await del(batch);
      }
      if (used + headroom > quota) full.add(cls);
    }
    // 3. free space on the store's file system
    const free = this.d.freeBytes ?? (async () => {
      const s = await statfs(this.d.store.root);
      return s.bavail * s.bsize;
    });
    let diskFull = false;
    for (let i = 0; i < 100; i++) {
      if ((await free()) >= this.d.config.minFreeBytes) break;
      const batch = await this.d.repo.unheldOldest({ limit: 50 });
      if (batch.length === 0 || (await del(batch)) === 0) {
        diskFull = true;
        break;
      }
    }
    const wasFull = this.diskFull || this.fullClasses.size > 0;
    this.fullClasses = full;
    this.diskFull = diskFull;
    report.fullClasses = [...full];
    report.diskFull = diskFull;
    if (diskFull || full.size) {
      if (!wasFull) this.d.log('warn', 'recording store full: writing stops until space returns', { diskFull, fullClasses: [...full] });
      for (const [k, r] of this.recorders) {
        const plan = this.plans.get(k.split('\n')[0]!);
        if (plan && (diskFull || full.has(plan.ownerClass))) await r.pauseForDisk();
      }
    }
    return report;
  }

  /** Holds an approved grant's footage window on each of its cameras (idempotent per grant and camera). */
  async holdForGrant(g: { id: string; cameraIds: string[]; footageFrom: Date | null; footageTo: Date | null; caseNo: string; decidedBy: string | null }): Promise<Hold[]> {
    if (!g.footageFrom || !g.footageTo) return [];
    const out: Hold[] = [];
    for (const cameraId of g.cameraIds) {
      const h = await this.d.repo.createHold({
        cameraId, startAt: g.footageFrom, endAt: g.footageTo, grantId: g.id, caseNo: g.caseNo, reason: 'grant_approved', createdBy: g.decidedBy,
      });
      if (h) {
        out.push(h);
        await this.d.auditHold({ op: 'create', hold: h, userId: g.decidedBy, reason: 'grant_approved' });
      }
    }
    return out;
  }

  /** Admin release of one hold (audited). */
  async releaseHold(id: number, by: string, reason: string): Promise<Hold | null> {
    const h = await this.d.repo.releaseHold(id, by);
    if (h) await this.d.auditHold({ op: 'release', hold: h, userId: by, reason });
    return h;
  }

  /** The case was closed: its footage may age out again (audited per hold). */
  async releaseCase(caseNo: string, by: string | null): Promise<Hold[]> {
    const hs = await this.d.repo.releaseHoldsOfCase(caseNo, by);
    for (const h of hs) await this.d.auditHold({ op: 'release', hold: h, userId: by, reason: 'case_closed' });
    return hs;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.retaining?.catch(() => undefined);
    await Promise.all([...this.recorders.values()].map((r) => r.stop('shutdown')));
    this.recorders.clear();
  }
}
