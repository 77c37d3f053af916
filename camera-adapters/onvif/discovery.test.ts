import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildProbe, discover, parseProbeMatches } from './discovery.ts';
import { OnvifError } from './errors.ts';

const match = (relatesTo: string, ref: string, xaddrs: string): string =>
  '<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"' +
  ' xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"><s:Header><a:RelatesTo>' + relatesTo + '</a:RelatesTo></s:Header>' +
  `<s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>${ref}</a:Address></a:EndpointReference>` +
  '<d:Types>dn:NetworkVideoTransmitter</d:Types><d:Scopes>onvif://www.onvif.org/name/Cam onvif://www.onvif.org/location/Lize</d:Scopes>' +
  `<d:XAddrs>${xaddrs}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>`;

const sockets: dgram.Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

/** A UDP "device" on 127.0.0.1 that answers each Probe with the replies `answer` builds. */
async function fakeResponder(answer: (messageId: string) => string[]): Promise<{ port: number; probes: string[] }> {
  const socket = dgram.createSocket('udp4');
  sockets.push(socket);
  const probes: string[] = [];
  socket.on('message', (msg, rinfo) => {
    const text = msg.toString('utf8');
    probes.push(text);
    const id = /<a:MessageID>([^<]+)<\/a:MessageID>/.exec(text)?.[1] ?? '';
    for (const reply of answer(id)) socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: (socket.address() as AddressInfo).port, probes };
}

describe('WS-Discovery', () => {
  it('accepts only ProbeMatches that relate to our Probe, deduplicated, and connects to nothing', async () => {
    const responder = await fakeResponder((id) => [
      match('uuid:someone-else', 'urn:uuid:spoof', 'http://10.0.0.66/onvif/device_service'),
      match(id, 'urn:uuid:cam-1', 'http://127.0.0.1:8080/onvif/device_service'),
      match(id, 'urn:uuid:cam-1', 'http://[fe80::1]/onvif/device_service'),
      '<!DOCTYPE x [<!ENTITY a "b">]>' + match(id, 'urn:uuid:evil', 'http://x/'),
      'garbage',
    ]);
    const found = await discover({ interfaceAddress: '127.0.0.1', timeoutMs: 500, maxResults: 10, target: { address: '127.0.0.1', port: responder.port } });
    expect(responder.probes).toHaveLength(1);
    expect(responder.probes[0]).toMatch(/<a:MessageID>uuid:[0-9a-f-]{36}<\/a:MessageID>/);
    expect(found).toEqual([
      {
        endpointRef: 'urn:uuid:cam-1',
        xaddrs: ['http://127.0.0.1:8080/onvif/device_service', 'http://[fe80::1]/onvif/device_service'],
        scopes: ['onvif://www.onvif.org/name/Cam', 'onvif://www.onvif.org/location/Lize'],
        types: ['dn:NetworkVideoTransmitter'],
        from: `127.0.0.1:${responder.port}`,
      },
    ]);
  });

  it('stops at maxResults', async () => {
    const responder = await fakeResponder((id) => Array.from({ length: 20 }, (_, i) => match(id, `urn:uuid:cam-${i}`, `http://127.0.0.1/${i}`)));
    const found = await discover({ interfaceAddress: '127.0.0.1', timeoutMs: 2_000, maxResults: 3, target: { address: '127.0.0.1', port: responder.port } });
    expect(found).toHaveLength(3);
  });

  it('requires a local IPv4 interface address', async () => {
    await expect(discover({ interfaceAddress: '0.0.0.0x', timeoutMs: 100 })).rejects.toBeInstanceOf(OnvifError);
    // 192.0.2.1 (TEST-NET) is not ours: binding fails rather than falling back to all interfaces.
    await expect(discover({ interfaceAddress: '192.0.2.1', timeoutMs: 100 })).rejects.toMatchObject({ code: 'unreachable' });
  });

  it('parseProbeMatches ignores unrelated and malformed replies', () => {
    expect(parseProbeMatches(match('uuid:a', 'urn:x', 'http://h/'), 'uuid:b', 'f')).toEqual([]);
    expect(parseProbeMatches('<html>', 'uuid:b', 'f')).toEqual([]);
    expect(buildProbe('uuid:<x>')).toContain('uuid:&lt;x&gt;');
  });
});
