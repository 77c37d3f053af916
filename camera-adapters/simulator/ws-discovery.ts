// WS-Discovery responder (ONVIF Core §7): answers multicast Probes on the loopback interface only.
import dgram from 'node:dgram';
import { createHash, randomUUID } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { SimulatorError } from './errors.ts';
import { childOf, escapeXml, textOf } from './soap.ts';

export const DISCOVERY_GROUP = '239.255.255.250';
export const DISCOVERY_PORT = 3702;
const LOOPBACK = '127.0.0.1';
const MAX_PROBE_BYTES = 16 * 1024;
/** Replies go out in small batches so a receiver's socket buffer is not overrun by thousands of cameras. */
const REPLY_BATCH = 64;
const REPLY_BATCH_GAP_MS = 5;
const DEVICE_TYPES = new Set(['NetworkVideoTransmitter', 'Device']);

export interface DiscoverableCamera {
  id: string;
  name: string;
  model: string;
  deviceServiceUrl: string;
  running: boolean;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  processEntities: false,
  parseTagValue: false,
  trimValues: true,
});

/** A stable urn:uuid per camera id, so repeated probes name the same endpoint. */
export function endpointUuid(id: string): string {
  const h = createHash('sha1').update(`shouwang-sim:${id}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface Probe {
  messageId: string;
  types: string[];
}

function parseProbe(xml: string): Probe | null {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return null;
  let doc: unknown;
  try {
    doc = parser.parse(xml);
  } catch {
    return null;
  }
  const envelope = childOf(doc, 'Envelope');
  const probe = childOf(envelope, 'Body', 'Probe');
  const messageId = textOf(childOf(envelope, 'Header', 'MessageID'));
  if (probe === undefined || !messageId) return null;
  const types = (textOf(childOf(probe, 'Types')) ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((t) => t.slice(t.indexOf(':') + 1));
  return { messageId, types };
}

function probeMatch(camera: DiscoverableCamera, relatesTo: string): string {
  const scopes = [
    'onvif://www.onvif.org/type/video_encoder',
    'onvif://www.onvif.org/Profile/Streaming',
    `onvif://www.onvif.org/name/${encodeURIComponent(camera.name)}`,
    `onvif://www.onvif.org/hardware/${encodeURIComponent(camera.model)}`,
  ].join(' ');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
    'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">' +
    `<env:Header><wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID><wsa:RelatesTo>${escapeXml(relatesTo)}</wsa:RelatesTo>` +
    '<wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>' +
    '<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action></env:Header>' +
    '<env:Body><d:ProbeMatches><d:ProbeMatch>' +
    `<wsa:EndpointReference><wsa:Address>urn:uuid:${endpointUuid(camera.id)}</wsa:Address></wsa:EndpointReference>` +
    `<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types><d:Scopes>${escapeXml(scopes)}</d:Scopes>` +
    `<d:XAddrs>${escapeXml(camera.deviceServiceUrl)}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion>` +
    '</d:ProbeMatch></d:ProbeMatches></env:Body></env:Envelope>'
  );
}

/** Builds a Probe for a client; tests and tools use it. */
export function buildProbe(messageId = `urn:uuid:${randomUUID()}`): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
    'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">' +
    `<env:Header><wsa:MessageID>${messageId}</wsa:MessageID><wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>` +
    '<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action></env:Header>' +
    '<env:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></env:Body></env:Envelope>'
  );
}

export class WsDiscoveryResponder {
  private socket: dgram.Socket | null = null;
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(private readonly cameras: () => readonly DiscoverableCamera[]) {}

  /**
   * Binds to the group address, not 127.0.0.1: Linux delivers multicast only to sockets bound to the
   * group or to 0.0.0.0, and 0.0.0.0 would also listen on eth0. Membership is on loopback only.
   */
  async start(): Promise<void> {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) => {
        socket.close();
        reject(new SimulatorError('listen_failed', `WS-Discovery bind to ${DISCOVERY_GROUP}:${DISCOVERY_PORT} failed: ${err.message}`));
      });
      socket.bind(DISCOVERY_PORT, DISCOVERY_GROUP, () => {
        socket.removeAllListeners('error');
        resolve();
      });
    });
    socket.addMembership(DISCOVERY_GROUP, LOOPBACK);
    socket.setMulticastInterface(LOOPBACK);
    socket.setMulticastLoopback(true);
    socket.on('error', () => undefined);
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    this.socket = socket;
  }

  async close(): Promise<void> {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
    const socket = this.socket;
    this.socket = null;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    // Only loopback peers: the socket never joins the group elsewhere, this is belt and braces.
    if (msg.length > MAX_PROBE_BYTES || !rinfo.address.startsWith('127.')) return;
    const probe = parseProbe(msg.toString('utf8'));
    if (!probe) return;
    if (probe.types.length > 0 && !probe.types.some((t) => DEVICE_TYPES.has(t))) return;
    const matches = this.cameras().filter((c) => c.running);
    this.reply(matches, probe.messageId, rinfo, 0);
  }

  private reply(cameras: readonly DiscoverableCamera[], relatesTo: string, to: dgram.RemoteInfo, from: number): void {
    const socket = this.socket;
    if (!socket) return;
    const end = Math.min(from + REPLY_BATCH, cameras.length);
    for (let i = from; i < end; i++) {
      const camera = cameras[i];
      if (camera) socket.send(probeMatch(camera, relatesTo), to.port, to.address);
    }
    if (end >= cameras.length) return;
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      this.reply(cameras, relatesTo, to, end);
    }, REPLY_BATCH_GAP_MS);
    this.pending.add(timer);
  }
}
