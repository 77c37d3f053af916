import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipStream } from './clip-stream.ts';
import { DigestAuth } from './digest-auth.ts';
import { clipFromAnnexB, type H264Clip } from './h264-clip.ts';
import { depacketise } from './rtp-h264.ts';
import { RtspClient, type RtpPacketInfo } from './rtsp-client.ts';
import { RtspServer } from './rtsp-server.ts';

const START = Buffer.from([0, 0, 0, 1]);
const nal = (header: number, size: number, fill: number): Buffer => {
  const b = Buffer.alloc(size, fill);
  b[0] = header;
  b[1] = 0x80; // first_mb_in_slice = 0 for slices; harmless for SPS/PPS
  return b;
};

/** 10 frames at 100 fps: IDR (fragmented) every 5 frames, so a loop lasts 0.1 s. */
function syntheticClip(): { clip: H264Clip; frames: Buffer[][] } {
  const sps = Buffer.from([0x67, 0x42, 0xc0, 0x1e, 0xda, 0x02, 0x80]);
  const pps = Buffer.from([0x68, 0xce, 0x3c, 0x80]);
  const frames: Buffer[][] = [];
  for (let i = 0; i < 10; i++) frames.push(i % 5 === 0 ? [sps, pps, nal(0x65, 3000, i + 1)] : [nal(0x41, 200, i + 1)]);
  const annexB = Buffer.concat(frames.flat().flatMap((n) => [START, n]));
  return { clip: clipFromAnnexB(annexB, 100), frames };
}

async function collect(client: RtspClient, frames: number): Promise<RtpPacketInfo[]> {
  const packets: RtpPacketInfo[] = [];
  await new Promise<void>((resolve) => {
    let markers = 0;
    client.onRtp((p) => {
      packets.push(p);
      if (p.marker && ++markers >= frames) resolve();
    });
  });
  return packets;
}

describe('RtspServer', () => {
  const { clip, frames } = syntheticClip();
  const stream = new ClipStream(clip);
  const server = new RtspServer({
    resolve: (path) => (path === '/cam/main' ? { stream, sessionName: 'test' } : undefined),
    auth: { digest: new DigestAuth({ realm: 'test', allowBasic: true }), lookup: (u) => (u === 'admin' ? 'pw' : undefined) },
  });
  let base = '';
  beforeAll(async () => {
    const { host, port } = await server.listen(0, '127.0.0.1');
    base = `rtsp://${host}:${port}`;
  });
  afterAll(async () => {
    await server.close();
    stream.close();
  });

  it('answers OPTIONS without auth, refuses DESCRIBE without credentials, 404s unknown paths', async () => {
    const anon = await RtspClient.connect(`${base}/cam/main`);
    try {
      expect((await anon.request('OPTIONS')).headers.get('public')?.[0]).toContain('PLAY');
      await expect(anon.request('DESCRIBE')).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
    } finally {
      anon.close();
    }
    const client = await RtspClient.connect(`rtsp://admin:pw@${base.slice(7)}/nope/main`);
    try {
      expect((await client.request('DESCRIBE')).status).toBe(404);
      const udp = await client.request('SETUP', `${base}/cam/main/trackID=0`, { Transport: 'RTP/AVP;unicast;client_port=5000-5001' });
      expect(udp.status).toBe(461);
    } finally {
      client.close();
    }
  });

  it('streams the clip: keyframe first, contiguous sequence, 90 kHz timestamps continuing across loops, marker per frame', async () => {
    const client = await RtspClient.connect(`rtsp://admin:pw@${base.slice(7)}/cam/main`);
    try {
      const packetsPromise = collect(client, 25);
      const { sdp } = await client.play();
      expect(sdp).toContain('packetization-mode=1');
      expect(sdp).toContain(`sprop-parameter-sets=${clip.sps.toString('base64')},${clip.pps.toString('base64')}`);
      const packets = await packetsPromise;
      expect(packets.every((p, i) => i === 0 || p.sequence === ((packets[i - 1]!.sequence + 1) & 0xffff))).toBe(true);
      const timestamps = [...new Set(packets.map((p) => p.timestamp))];
      expect(timestamps.slice(1).map((t, i) => (t - timestamps[i]!) >>> 0)).toEqual(Array(timestamps.length - 1).fill(900));
      expect(packets.filter((p) => p.marker).length).toBe(25);
      const firstFrame = depacketise(packets.filter((p) => p.timestamp === timestamps[0]).map((p) => p.payload));
      expect(firstFrame.map((n) => n.equals(frames[0]![firstFrame.indexOf(n)]!))).toEqual([true, true, true]);
      expect(server.stats().playing).toBe(1);
    } finally {
      client.close();
    }
  });

  it('starts a viewer who joins mid-stream at a keyframe, and dropConnections() cuts viewers', async () => {
    const first = await RtspClient.connect(`rtsp://admin:pw@${base.slice(7)}/cam/main`);
    const second = await RtspClient.connect(`rtsp://admin:pw@${base.slice(7)}/cam/main`);
    try {
      await first.play();
      await new Promise((r) => setTimeout(r, 30));
      const secondPackets = collect(second, 3);
      await second.play();
      const packets = await secondPackets;
      expect((packets[0]!.payload[0] ?? 0) & 0x1f).toBe(7); // SPS opens the first access unit
      expect(server.dropConnections()).toBe(2);
      await expect(second.request('GET_PARAMETER')).rejects.toMatchObject({ code: 'closed' });
    } finally {
      first.close();
      second.close();
    }
  });
});
