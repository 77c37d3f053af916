// Evidence export: a granted window becomes an MP4 and a signed manifest that verifies offline, and stops
// verifying when one byte of either changes.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { footageGateway, type FootageGateway } from './helpers/footage.ts';
import { insertTestCamera } from './helpers/cameras.ts';
import { decodeFrames, recordFixture, type FixtureSegment } from './helpers/recordings.ts';
import { verifyEvidence, type SignedManifest } from '../gateway/media/export/manifest.ts';
import { AUDIT } from '../gateway/audit/actions.ts';

let f: FootageGateway;
let cam = '';
let segs: FixtureSegment[] = [];
let grantId = '';
let work = '';
const T0 = Math.floor((Date.now() - 5 * 3600_000) / 1000) * 1000;
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const grantWindow = { from: at(12.5), to: at(37.3) };
const CASE = 'YG-2026-1124-09';
const events: Array<{ type: string; payload: Record<string, unknown> }> = [];

async function waitDone(user: string, id: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await f.api(user, 'GET', `/exports/${id}`);
    if (r.body.state !== 'running' || Date.now() > deadline) return r.body;
    await new Promise((res) => setTimeout(res, 100));
  }
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'shouwang-evidence-'));
  f = await footageGateway();
  f.t.gw.events.subscribe((e) => events.push(e));
  cam = await insertTestCamera(f.t.gw, { stationCode: '41092701', ownerClass: 'police', lat: 35.955, lon: 115.872, name: 'Chengguan S101' });
  segs = await recordFixture(f.t.tdb.db, { root: f.root, cameraId: cam, startMs: T0, seconds: 50 });
  await f.login('shouzhang.investigator', 'chengguan.duty', 'shouzhang.auditor', 'yaqian.officer');
  const req = await f.api('shouzhang.investigator', 'POST', '/grants', { cameraIds: [cam], caseNo: CASE, reason: 'white car at the bridge', actions: ['playback', 'export'], footage: grantWindow });
  expect(req.status, JSON.stringify(req.body)).toBe(201);
  grantId = req.body.grants[0].grant.id;
  expect((await f.api('chengguan.duty', 'POST', `/grants/${grantId}/approve`, { reason: 'ok' })).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await f?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('evidence export', () => {
  let clip: Buffer;
  let manifestText = '';
  let jwks: { keys: any[] };
  let exportId = '';

  it('exports the granted window as an MP4 with progress events and a signed manifest', async () => {
    const r = await f.api('shouzhang.investigator', 'POST', '/exports', { cameraId: cam, from: grantWindow.from, to: grantWindow.to, grantId });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    exportId = r.body.id;
    const done = await waitDone('shouzhang.investigator', exportId);
    expect(done.state, JSON.stringify(done)).toBe('done');
    expect(done.progress).toBe(1);
    expect(events.some((e) => e.type === 'export.progress' && e.payload.exportId === exportId && e.payload.state === 'done')).toBe(true);

    const c = await f.api('shouzhang.investigator', 'GET', `/exports/${exportId}/clip.mp4`);
    expect(c.status).toBe(200);
    clip = c.raw;
    const m = await f.api('shouzhang.investigator', 'GET', `/exports/${exportId}/manifest.json`);
    expect(m.status).toBe(200);
    manifestText = m.raw.toString('utf8');
    jwks = (await f.app.inject({ method: 'GET', url: '/api/v1/play-tokens/jwks' })).json();

    const signed = JSON.parse(manifestText) as SignedManifest;
    const man = signed.manifest;
    expect(man.camera).toMatchObject({ id: cam, name: 'Chengguan S101', ownerStation: { code: '41092701' } });
    expect(man.requested).toEqual(grantWindow);
    expect(man.actual).toEqual({ firstFrame: at(13), lastFrame: at(37.28) });
    expect(man.segments.map((s) => s.sha256)).toEqual([segs[1]!.sha256, segs[2]!.sha256, segs[3]!.sha256]);
    expect(man.clip.sha256).toBe(done.clipSha256);
    expect(man.grant).toMatchObject({ id: grantId, caseNo: CASE, approver: { name: 'chengguan.duty' }, requester: { name: 'shouzhang.investigator' } });
    expect(man.caseNo).toBe(CASE);
    expect(man.transform.ffmpeg.args).toContain('copy');
    expect(man.transform.ffmpeg.args.join(' ')).not.toContain(f.exportDir);
    const audit = await f.t.tdb.db.query('SELECT action, details FROM audit_log WHERE id = $1', [man.auditId]);
    expect(audit.rows[0].action).toBe(AUDIT.exportCreate);
    expect(audit.rows[0].details.clipSha256).toBe(man.clip.sha256);

    // A remux: every frame of the window, first a keyframe.
    const file = path.join(work, 'clip.mp4');
    writeFileSync(file, clip);
    const frames = await decodeFrames(file);
    expect(frames).toHaveLength(608);
    expect(frames[0]!.key).toBe(true);
  });

  it('verifies offline, and names what fails after one byte of the clip or of the manifest changes', async () => {
    const ok = await verifyEvidence(clip, manifestText, jwks);
    expect(ok.ok, JSON.stringify(ok.checks)).toBe(true);

    const badClip = Buffer.from(clip);
    const mid = Math.floor(badClip.length / 2);
    badClip[mid] = badClip[mid]! ^ 0x01;
    const r1 = await verifyEvidence(badClip, manifestText, jwks);
    expect(r1.ok).toBe(false);
    expect(r1.checks.find((c) => !c.ok)?.check).toBe('clip.sha256');

    const badManifest = manifestText.replace(CASE, CASE.replace('09', '08'));
    expect(badManifest).not.toBe(manifestText);
    const r2 = await verifyEvidence(clip, badManifest, jwks);
    expect(r2.ok).toBe(false);
    expect(r2.checks.find((c) => c.check === 'signature')?.detail).toContain('changed after signing');

    const other = await verifyEvidence(clip, manifestText, { keys: [] });
    expect(other.checks.find((c) => c.check === 'signature')?.ok).toBe(false);
  });

  it('npm run evidence:verify exits 0 for the export and 1 for a tampered clip', () => {
    const files = { clip: path.join(work, 'c.mp4'), bad: path.join(work, 'bad.mp4'), man: path.join(work, 'm.json'), jwks: path.join(work, 'jwks.json') };
    writeFileSync(files.clip, clip);
    const bad = Buffer.from(clip);
    bad[100] = bad[100]! ^ 0xff;
    writeFileSync(files.bad, bad);
    writeFileSync(files.man, manifestText);
    writeFileSync(files.jwks, JSON.stringify(jwks));
    const run = (c: string) => spawnSync(process.execPath, ['--import', 'tsx', 'gateway/cli/evidence-verify.ts', c, files.man, '--jwks', files.jwks], { encoding: 'utf8', timeout: 60_000 });
    const good = run(files.clip);
    expect(good.status, good.stderr).toBe(0);
    expect(good.stdout).toContain('evidence verifies');
    const fail = run(files.bad);
    expect(fail.status).toBe(1);
    expect(fail.stdout).toMatch(/FAIL clip\.sha256/);
  }, 60_000);

  it('a watermarked export is a transcode with the grantee, grant and case burned in, and still verifies', async () => {
    const r = await f.api('shouzhang.investigator', 'POST', '/exports', { cameraId: cam, from: at(14), to: at(17), grantId, watermark: true });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const done = await waitDone('shouzhang.investigator', r.body.id);
    expect(done.state, JSON.stringify(done)).toBe('done');
    const c = await f.api('shouzhang.investigator', 'GET', `/exports/${r.body.id}/clip.mp4`);
    const m = await f.api('shouzhang.investigator', 'GET', `/exports/${r.body.id}/manifest.json`);
    const man = (JSON.parse(m.raw.toString('utf8')) as SignedManifest).manifest;
    expect(man.transform.watermark?.text).toBe(`shouzhang.investigator | grant ${grantId} | case ${CASE}`);
    expect(man.transform.ffmpeg.args).toContain('libx264');
    expect((await verifyEvidence(c.raw, m.raw.toString('utf8'), jwks)).ok).toBe(true);
    const file = path.join(work, 'wm.mp4');
    writeFileSync(file, c.raw);
    expect(await decodeFrames(file)).toHaveLength(75);
  }, 60_000);

  it('exports are listed per case, private to their requester, and refused outside the grant', async () => {
    const mine = await f.api('shouzhang.investigator', 'GET', `/exports?caseNo=${CASE}`);
    expect(mine.body.items).toHaveLength(2);
    const auditor = await f.api('shouzhang.auditor', 'GET', `/exports?caseNo=${CASE}`);
    expect(auditor.body.items).toHaveLength(2);
    expect((await f.api('yaqian.officer', 'GET', `/exports/${exportId}`)).status).toBe(404);
    expect((await f.api('yaqian.officer', 'GET', `/exports/${exportId}/clip.mp4`)).status).toBe(404);
    const outside = await f.api('shouzhang.investigator', 'POST', '/exports', { cameraId: cam, from: at(40), to: at(45), grantId });
    expect(outside.status).toBe(403);
    const refusals = await f.t.tdb.db.query('SELECT count(*)::int AS n FROM audit_log WHERE action = $1 AND camera_id = $2', [AUDIT.exportRefused, cam]);
    expect(refusals.rows[0].n).toBeGreaterThan(0);
    const downloads = await f.t.tdb.db.query('SELECT count(*)::int AS n FROM audit_log WHERE action = $1 AND camera_id = $2', [AUDIT.exportDownload, cam]);
    expect(downloads.rows[0].n).toBe(4);
  });

  it('a failed export says why in a code, never with the server\'s paths or ffmpeg\'s output', async () => {
    // the export directory replaced by a file: writing the clip fails inside the gateway
    rmSync(f.exportDir, { recursive: true, force: true });
    writeFileSync(f.exportDir, 'not a directory');
    try {
      const r = await f.api('shouzhang.investigator', 'POST', '/exports', { cameraId: cam, from: at(14), to: at(17), grantId });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      const failed = await waitDone('shouzhang.investigator', r.body.id);
      expect(failed.state).toBe('failed');
      expect(failed.error).toMatch(/^export_failed: /);
      expect(failed.error).not.toContain(f.exportDir);
      expect(failed.error).not.toMatch(/ENOTDIR|EEXIST|ffmpeg/);
      expect((await f.api('shouzhang.investigator', 'GET', `/exports/${r.body.id}/clip.mp4`)).body.error.code).toBe('export_not_ready');
    } finally {
      rmSync(f.exportDir, { force: true });
      mkdirSync(f.exportDir);
    }
  });
});
