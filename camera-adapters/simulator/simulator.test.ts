import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import ffprobeInstaller from '@ffprobe-installer/ffprobe';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestAuthorization } from '../rtsp/digest-auth.ts';
import { startSimulator, type Simulator } from './simulator.ts';
import { buildProbe, DISCOVERY_GROUP, DISCOVERY_PORT } from './ws-discovery.ts';
import { usernameTokenHeader } from './ws-security.ts';

const xml = new XMLParser({ removeNSPrefix: true, ignoreAttributes: false, attributeNamePrefix: '@_', processEntities: false, parseTagValue: false });

const envelope = (body: string, header = ''): string =>
  `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" ` +
  `xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema">` +
  `<s:Header>${header}</s:Header><s:Body>${body}</s:Body></s:Envelope>`;

async function soap(url: string, body: string, opts: { header?: string; authorization?: string } = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/soap+xml; charset=utf-8', ...(opts.authorization ? { Authorization: opts.authorization } : {}) },
    body: envelope(body, opts.header),
  });
  const text = await res.text();
  return { status: res.status, text, doc: xml.parse(text), challenge: res.headers.get('www-authenticate') };
}

/** A SOAP call the way a digest-only client makes it: unauthenticated first, then answer the challenge. */
async function soapWithDigest(url: string, body: string, username: string, password: string) {
  const first = await soap(url, body);
  expect(first.status).toBe(401);
  const authorization = digestAuthorization({ method: 'POST', uri: new URL(url).pathname, challenge: first.challenge ?? '', username, password });
  return soap(url, body, { authorization });
}

function run(bin: string, args: string[], timeoutMs = 15_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

function withCredentials(uri: string, user: string, password: string): string {
  return uri.replace('rtsp://', `rtsp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@`);
}

const PASSWORD = '守望2024';
const OFFSET_MS = 2 * 3600_000;

describe('simulated camera: ONVIF and RTSP', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({
      cameras: [
        { id: 'lize-0001', name: 'Zhuangke Li east gate', password: PASSWORD, clockOffsetMs: OFFSET_MS },
        { id: 'lize-0002', username: 'viewer', password: 'plain-pass' },
      ],
      addressMode: 'single-ip',
      httpPort: 0,
      rtspPort: 0,
    });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('answers GetSystemDateAndTime without credentials, showing its own clock', async () => {
    const cam = sim.cameras[0]!;
    const before = Date.now();
    const r = await soap(cam.deviceServiceUrl, '<tds:GetSystemDateAndTime/>');
    expect(r.status).toBe(200);
    const utc = r.doc.Envelope.Body.GetSystemDateAndTimeResponse.SystemDateAndTime.UTCDateTime;
    const camMs = Date.UTC(+utc.Date.Year, +utc.Date.Month - 1, +utc.Date.Day, +utc.Time.Hour, +utc.Time.Minute, +utc.Time.Second);
    expect(Math.abs(camMs - before - OFFSET_MS)).toBeLessThan(60_000);
  });

  it('serves profiles and stream URI over WS-Security with a non-ASCII password and corrected clock', async () => {
    const cam = sim.cameras[0]!;
    const header = (): string => usernameTokenHeader(cam.username, PASSWORD, Date.now() + OFFSET_MS);
    const profiles = await soap(cam.deviceServiceUrl.replace('device_service', 'media_service'), '<trt:GetProfiles/>', { header: header() });
    expect(profiles.status).toBe(200);
    const list = profiles.doc.Envelope.Body.GetProfilesResponse.Profiles;
    expect(list.map((p: Record<string, string>) => p['@_token'])).toEqual(['main', 'sub']);
    const enc = list[0].VideoEncoderConfiguration;
    expect([enc.Encoding, enc.Resolution.Width, enc.Resolution.Height, enc.RateControl.FrameRateLimit]).toEqual(['H264', '1280', '720', '25']);
    expect(list[1].VideoEncoderConfiguration.Resolution.Width).toBe('640');

    const uri = await soap(cam.deviceServiceUrl, '<trt:GetStreamUri><trt:ProfileToken>sub</trt:ProfileToken></trt:GetStreamUri>', { header: header() });
    expect(uri.doc.Envelope.Body.GetStreamUriResponse.MediaUri.Uri).toBe(`rtsp://${cam.host}:${cam.rtspPort}/lize-0001/sub`);
  });

  it('refuses WS-Security with a wrong password or an uncorrected clock', async () => {
    const cam = sim.cameras[0]!;
    const wrong = await soap(cam.deviceServiceUrl, '<trt:GetProfiles/>', { header: usernameTokenHeader(cam.username, '守望2025', Date.now() + OFFSET_MS) });
    expect([400, 401]).toContain(wrong.status);
    expect(wrong.text).toContain('ter:NotAuthorized');
    const skewed = await soap(cam.deviceServiceUrl, '<trt:GetProfiles/>', { header: usernameTokenHeader(cam.username, PASSWORD) });
    expect(skewed.text).toContain('ter:NotAuthorized');
  });

  it('accepts HTTP Digest and refuses a wrong digest password', async () => {
    const cam = sim.cameras[1]!;
    const info = await soapWithDigest(cam.deviceServiceUrl, '<tds:GetDeviceInformation/>', 'viewer', 'plain-pass');
    expect(info.status).toBe(200);
    expect(info.doc.Envelope.Body.GetDeviceInformationResponse.Manufacturer).toBe('Shouwang-Sim');
    const caps = await soapWithDigest(cam.deviceServiceUrl, '<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>', 'viewer', 'plain-pass');
    expect(caps.doc.Envelope.Body.GetCapabilitiesResponse.Capabilities.Media.XAddr).toBe(`http://${cam.host}:${cam.httpPort}/onvif/media_service`);
    const services = await soapWithDigest(cam.deviceServiceUrl, '<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>', 'viewer', 'plain-pass');
    expect(services.text).toContain('http://www.onvif.org/ver10/media/wsdl');
    const refused = await soapWithDigest(cam.deviceServiceUrl, '<tds:GetDeviceInformation/>', 'viewer', 'wrong');
    expect(refused.status).toBe(401);
  });

  it('faults unknown operations and documents with a DTD', async () => {
    const cam = sim.cameras[1]!;
    const unknown = await soapWithDigest(cam.deviceServiceUrl, '<tds:SystemReboot/>', 'viewer', 'plain-pass');
    expect(unknown.text).toContain('ter:ActionNotSupported');
    const res = await fetch(cam.deviceServiceUrl, {
      method: 'POST',
      body: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>&a;</s:Body></s:Envelope>',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('ter:WellFormed');
  });

  it('serves a digest-protected JPEG snapshot', async () => {
    const cam = sim.cameras[1]!;
    const snap = await soapWithDigest(cam.deviceServiceUrl, '<trt:GetSnapshotUri><trt:ProfileToken>sub</trt:ProfileToken></trt:GetSnapshotUri>', 'viewer', 'plain-pass');
    const url = snap.doc.Envelope.Body.GetSnapshotUriResponse.MediaUri.Uri as string;
    const first = await fetch(url);
    expect(first.status).toBe(401);
    await first.arrayBuffer();
    const authorization = digestAuthorization({ method: 'GET', uri: new URL(url).pathname, challenge: first.headers.get('www-authenticate') ?? '', username: 'viewer', password: 'plain-pass' });
    const res = await fetch(url, { headers: { Authorization: authorization } });
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const jpeg = Buffer.from(await res.arrayBuffer());
    expect(jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');
  });

  it('streams H.264 at the profile resolution to ffprobe (RTSP digest, non-ASCII password)', async () => {
    const cam = sim.cameras[0]!;
    const url = withCredentials(cam.streamUri('main'), cam.username, PASSWORD);
    const r = await run(ffprobeInstaller.path, ['-v', 'error', '-rtsp_transport', 'tcp', '-select_streams', 'v', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', url]);
    expect(r.out.trim()).toBe('h264,1280,720');
    const refused = await run(ffprobeInstaller.path, ['-v', 'error', '-rtsp_transport', 'tcp', withCredentials(cam.streamUri('main'), cam.username, 'wrong')]);
    expect(refused.code).not.toBe(0);
  });

  it('plays to two ffmpeg clients at once and decodes without errors', async () => {
    const cam = sim.cameras[1]!;
    const url = withCredentials(cam.streamUri('sub'), 'viewer', 'plain-pass');
    const decode = (): ReturnType<typeof run> =>
      run(ffmpegInstaller.path, ['-hide_banner', '-v', 'error', '-rtsp_transport', 'tcp', '-i', url, '-t', '2', '-f', 'null', '-']);
    const [a, b] = await Promise.all([decode(), decode()]);
    expect(a).toEqual({ code: 0, out: '' });
    expect(b).toEqual({ code: 0, out: '' });
    expect(sim.stats().cameras[1]!.bytesSent).toBeGreaterThan(10_000);
  });

  it('dropStreams() cuts a playing RTSP session', async () => {
    const cam = sim.cameras[1]!;
    const url = withCredentials(cam.streamUri('sub'), 'viewer', 'plain-pass');
    const child = run(ffmpegInstaller.path, ['-hide_banner', '-v', 'error', '-rtsp_transport', 'tcp', '-i', url, '-t', '20', '-f', 'null', '-'], 25_000);
    await waitFor(() => cam.stats().rtspSessions === 1);
    expect(cam.dropStreams()).toBe(1);
    await child; // ends long before its 20 s because the server hung up
    expect(cam.stats().rtspSessions).toBe(0);
  });
});

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function connectState(host: string, port: number): Promise<'open' | 'refused'> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve('open');
    });
    s.once('error', () => resolve('refused'));
  });
}

describe('WS-Discovery', () => {
  it('answers a loopback Probe with ProbeMatches naming each camera', async () => {
    const sim = await startSimulator({ cameras: 3, addressMode: 'single-ip', httpPort: 0, rtspPort: 0, discovery: true });
    const client = dgram.createSocket('udp4');
    try {
      const wanted = new Set(sim.cameras.map((c) => c.deviceServiceUrl));
      const messageId = `urn:uuid:${randomUUID()}`;
      const found = new Set<string>();
      const done = new Promise<void>((resolve) => {
        client.on('message', (msg) => {
          const doc = xml.parse(msg.toString('utf8'));
          if (doc.Envelope?.Header?.RelatesTo !== messageId) return;
          const xaddr = doc.Envelope.Body.ProbeMatches.ProbeMatch.XAddrs as string;
          if (wanted.has(xaddr)) found.add(xaddr);
          if (found.size === wanted.size) resolve();
        });
      });
      await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
      client.setMulticastInterface('127.0.0.1');
      client.send(buildProbe(messageId), DISCOVERY_PORT, DISCOVERY_GROUP);
      await done;
      expect(found).toEqual(wanted);
    } finally {
      client.close();
      await sim.close();
    }
  });
});

describe('many cameras, one address each', () => {
  it('starts 200 cameras, injects faults, and closes leaving nothing listening', async () => {
    const second = 100 + Math.floor(Math.random() * 150); // parallel runs pick different /24s
    const sim = await startSimulator({ cameras: 200, baseAddress: `127.${second}.7.1` });
    const closedCheck = [sim.cameras[0]!, sim.cameras[199]!];
    try {
      expect(new Set(sim.cameras.map((c) => c.host)).size).toBe(200);
      for (const cam of [sim.cameras[0]!, sim.cameras[123]!, sim.cameras[199]!]) {
        expect(cam.httpPort).toBe(8000);
        const r = await soap(cam.deviceServiceUrl, '<tds:GetSystemDateAndTime/>');
        expect(r.status).toBe(200);
        expect(await connectState(cam.host, cam.rtspPort)).toBe('open');
      }
      const cam = sim.cameras[50]!;
      await cam.stop();
      expect(await connectState(cam.host, cam.httpPort)).toBe('refused');
      expect(await connectState(cam.host, cam.rtspPort)).toBe('refused');
      await cam.start();
      expect((await soap(cam.deviceServiceUrl, '<tds:GetSystemDateAndTime/>')).status).toBe(200);
      cam.setDelay(3000);
      const slow = fetch(cam.deviceServiceUrl, { method: 'POST', body: envelope('<tds:GetSystemDateAndTime/>'), signal: AbortSignal.timeout(300) });
      await expect(slow).rejects.toThrow();
      cam.setDelay(0);
      cam.setUnresponsive(true);
      const hung = fetch(cam.deviceServiceUrl, { method: 'POST', body: envelope('<tds:GetSystemDateAndTime/>'), signal: AbortSignal.timeout(300) });
      await expect(hung).rejects.toThrow();
      cam.setUnresponsive(false);
      expect((await soap(cam.deviceServiceUrl, '<tds:GetSystemDateAndTime/>')).status).toBe(200);
      expect(sim.stats().running).toBe(200);
    } finally {
      await sim.close();
    }
    for (const cam of closedCheck) {
      expect(await connectState(cam.host, cam.httpPort)).toBe('refused');
      expect(await connectState(cam.host, cam.rtspPort)).toBe('refused');
    }
  });
});

describe('simulated camera: configurable main bitrate', () => {
  it('serves and reports the asked main-stream bitrate; refuses a nonsense one', async () => {
    await expect(startSimulator({ cameras: 1, addressMode: 'single-ip', httpPort: 0, rtspPort: 0, mainBitrateKbps: 5 })).rejects.toThrow(/mainBitrateKbps/);
    const sim = await startSimulator({ cameras: 1, addressMode: 'single-ip', httpPort: 0, rtspPort: 0, nameOverlay: false, mainBitrateKbps: 2048 });
    try {
      const cam = sim.cameras[0]!;
      const r = await soapWithDigest(cam.deviceServiceUrl.replace('device_service', 'media_service'), '<trt:GetProfiles/>', cam.username, cam.password);
      const list = r.doc.Envelope.Body.GetProfilesResponse.Profiles;
      expect(list[0].VideoEncoderConfiguration.RateControl.BitrateLimit).toBe('2048');
      expect(list[1].VideoEncoderConfiguration.RateControl.BitrateLimit).toBe('256');
    } finally {
      await sim.close();
    }
  });
});
