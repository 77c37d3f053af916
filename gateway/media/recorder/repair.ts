// Start-up repair: segments on disk the index does not know (a kill -9 between ffmpeg finishing a file and
// the gateway indexing it) are probed and indexed as `repaired`; unreadable ones become a `corrupt` gap.
// This is the only directory walk, and it looks only at staging dirs and the two newest day dirs.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { scanTsFile } from './ts-scan.ts';
import type { RecordingsRepository } from '../../repositories/recordings.repository.ts';
import { sha256File, type Stream } from './camera-recorder.ts';
import { segmentPath, type LocalSegmentStore } from './segment-store.ts';

export interface RepairReport {
  repaired: number;
  corrupt: number;
  alreadyIndexed: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** First pts and duration of an MPEG-TS file, in seconds; null when it holds no readable video. */
export async function probeSegment(abs: string): Promise<{ start: number; duration: number } | null> {
  // parsed in-process: ffprobe is one more child per file, and the shipped static build crashes on some inputs
  const s = await scanTsFile(abs).catch(() => null);
  return s && s.frames > 0 ? { start: s.start, duration: s.duration } : null;
}

export async function repairIndex(o: {
  store: LocalSegmentStore;
  repo: RecordingsRepository;
  segmentSeconds: number;
  /** Cameras that exist in the database (a directory for an unknown id is left alone). */
  knownCameras: Set<string>;
  log?: (msg: string, detail: Record<string, unknown>) => void;
}): Promise<RepairReport> {
  const report: RepairReport = { repaired: 0, corrupt: 0, alreadyIndexed: 0 };
  const { store, repo } = o;
  for (const cam of await list(store.root)) {
    if (!UUID.test(cam) || !o.knownCameras.has(cam)) continue;
    for (const stream of ['main', 'sub'] as Stream[]) {
      const streamDir = path.join(store.root, cam, stream);
      // 1. staging: `.part` files ffmpeg wrote (finished or cut by a kill) that were never published
      const stagingRel = `${cam}/${stream}/.staging`;
      for (const name of await list(store.absolute(stagingRel))) {
        const m = /^(\d{10,15})-\d+\.ts\.part$/.exec(name);
        if (!m) continue;
        const partRel = `${stagingRel}/${name}`;
        const abs = store.absolute(partRel);
        const probe = await probeSegment(abs);
        const wallMs = Number(m[1]);
        if (!probe) {
          const st = await stat(abs).catch(() => null);
          const endMs = st ? st.mtimeMs : wallMs;
          await repo.insertGap({ cameraId: cam, stream, startAt: new Date(Math.max(wallMs, endMs - o.segmentSeconds * 1000)), endAt: new Date(Math.max(wallMs, endMs)), reason: 'corrupt' });
          await store.remove(partRel);
          report.corrupt++;
          o.log?.('corrupt segment skipped', { path: partRel });
          continue;
        }
        const startMs = Math.round(wallMs + probe.start * 1000);
        const rel = segmentPath(cam, stream, startMs);
        const sha256 = await sha256File(abs);
        await store.publish(partRel, rel);
        const st = await store.stat(rel);
        const row = await repo.insertSegment({
          cameraId: cam, stream, startAt: new Date(startMs), endAt: new Date(Math.round(startMs + probe.duration * 1000)),
          bytes: st?.bytes ?? 0, path: rel, sha256, firstPts90k: Math.round(probe.start * 90_000), repaired: true,
        });
        if (row) report.repaired++;
        else report.alreadyIndexed++;
      }
      // 2. published but not indexed (killed between rename and insert): only the newest two day dirs
      const days = (await list(streamDir)).filter((d) => /^\d{8}$/.test(d)).sort().slice(-2);
      for (const day of days) {
        const names = (await list(path.join(streamDir, day))).filter((n) => /^\d{10,15}\.ts$/.test(n));
        const rels = names.map((n) => `${cam}/${stream}/${day}/${n}`);
        const known = await repo.indexedPaths(rels);
        for (const rel of rels) {
          if (known.has(rel)) continue;
          const abs = store.absolute(rel);
          const probe = await probeSegment(abs);
          const startMs = Number(path.basename(rel, '.ts'));
          if (!probe) {
            await repo.insertGap({ cameraId: cam, stream, startAt: new Date(startMs), endAt: new Date(startMs + o.segmentSeconds * 1000), reason: 'corrupt' });
            await store.remove(rel);
            report.corrupt++;
            continue;
          }
          const st = await store.stat(rel);
          const row = await repo.insertSegment({
            cameraId: cam, stream, startAt: new Date(startMs), endAt: new Date(Math.round(startMs + probe.duration * 1000)),
            bytes: st?.bytes ?? 0, path: rel, sha256: await sha256File(abs), firstPts90k: Math.round(probe.start * 90_000), repaired: true,
          });
          if (row) report.repaired++;
        }
      }
    }
  }
  return report;
}
