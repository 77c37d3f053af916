import { randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import { isIPv4 } from 'node:net';
import { OnvifError } from './errors.ts';
import { child, children, escapeXml, parseXmlStrict, path, text } from './xml.ts';

export interface DiscoverOptions {
  /** The local IPv4 address of the interface to probe from; we never bind to all interfaces. */
  interfaceAddress: string;
  /** How long to listen for replies. Default 3 s. */
  timeoutMs?: number;
  /** Stop after this many distinct devices. Default 256. */
  maxResults?: number;
  /** Where to send the Probe; defaults to the WS-Discovery multicast group. For tests. */
  target?: { address: string; port: number };
}

export interface DiscoveredDevice {
  endpointRef: string;
  xaddrs: string[];
  scopes: string[];
  types: string[];
  /** Source address:port of the reply. */
  from: string;
}

const MULTICAST = { address: '239.255.255.250', port: 3702 };
const MAX_REPLY_BYTES = 64 * 1024;
const MAX_LIST = 32;
const MAX_ITEM = 512;

export function buildProbe(messageId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"' +
    ' xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">' +
    '<s:Header>' +
    `<a:MessageID>${escapeXml(messageId)}</a:MessageID>` +
    '<a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>' +
    '<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>' +
    '</s:Header><s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>'
  );
}

function list(value: string): string[] {
  return value.split(/\s+/).filter(Boolean).slice(0, MAX_LIST).map((v) => v.slice(0, MAX_ITEM));
}

/** ProbeMatches in a reply that answers our MessageID; anything else yields nothing. */
export function parseProbeMatches(xml: string, messageId: string, from: string): DiscoveredDevice[] {
  let doc;
  try {
    doc = parseXmlStrict(xml);
  } catch {
    return [];
  }
  const envelope = child(doc, 'Envelope');
  if (text(envelope, 'Header', 'RelatesTo') !== messageId) return [];
  return children(path(envelope, 'Body', 'ProbeMatches'), 'ProbeMatch')
    .slice(0, MAX_LIST)
    .map((m) => ({
      endpointRef: text(m, 'EndpointReference', 'Address').slice(0, MAX_ITEM),
      xaddrs: list(text(m, 'XAddrs')),
      scopes: list(text(m, 'Scopes')),
      types: list(text(m, 'Types')),
      from,
    }))
    .filter((d) => d.endpointRef || d.xaddrs.length > 0);
}

/**
 * WS-Discovery Probe from one interface. Returns candidates for a human to enrol; nothing here ever
 * connects to an announced address.
 */
export function discover(options: DiscoverOptions): Promise<DiscoveredDevice[]> {
  const { interfaceAddress } = options;
  if (!isIPv4(interfaceAddress)) {
    return Promise.reject(new OnvifError('unreachable', 'discover() needs the IPv4 address of one local interface'));
  }
  const timeoutMs = Math.min(Math.max(options.timeoutMs ?? 3_000, 1), 60_000);
  const maxResults = Math.min(Math.max(options.maxResults ?? 256, 1), 4_096);
  const maxReplies = maxResults * 8; // bounds the parsing work a flood of replies can cause
  const target = options.target ?? MULTICAST;
  const messageId = `uuid:${randomUUID()}`;
  const found = new Map<string, DiscoveredDevice>();

  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 256 * 1024 });
    let replies = 0;
    let done = false;
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        socket.close();
      } catch {
        // already closed by a failed bind
      }
      if (err) reject(err);
      else resolve([...found.values()]);
    };
    const timer = setTimeout(() => finish(), timeoutMs);
    socket.on('error', (err) => finish(new OnvifError('unreachable', `discovery socket failed: ${err.message}`, { cause: err })));
    socket.on('message', (msg, rinfo) => {
      if (done || msg.length > MAX_REPLY_BYTES) return;
      if (++replies > maxReplies) return finish();
      for (const device of parseProbeMatches(msg.toString('utf8'), messageId, `${rinfo.address}:${rinfo.port}`)) {
        const key = device.endpointRef || device.xaddrs.join(' ');
        const known = found.get(key);
        if (known) {
          known.xaddrs = [...new Set([...known.xaddrs, ...device.xaddrs])].slice(0, MAX_LIST);
        } else {
          found.set(key, device);
        }
        if (found.size >= maxResults) return finish();
      }
    });
    socket.bind({ address: interfaceAddress, port: 0, exclusive: true }, () => {
      try {
        socket.setMulticastInterface(interfaceAddress);
        socket.setMulticastTTL(1);
      } catch (err) {
        return finish(new OnvifError('unreachable', `cannot use ${interfaceAddress} for multicast: ${(err as Error).message}`, { cause: err }));
      }
      socket.send(buildProbe(messageId), target.port, target.address, (err) => {
        if (err) finish(new OnvifError('unreachable', `cannot send the Probe: ${err.message}`, { cause: err }));
      });
    });
  });
}
