import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';

/** A minimal well-behaved ONVIF device for tests: device + media service, WS-Security or Digest auth. */
export interface FakeDeviceOptions {
  username: string;
  password: string;
  auth: 'wsse' | 'digest';
  /** Device clock minus real clock. */
  clockOffsetMs?: number;
  /** Host put into stream/snapshot URIs; default the listening host. */
  uriHost?: string;
  /** Media XAddr advertised by GetCapabilities; default on the listening address. */
  mediaXAddr?: string;
  snapshot?: boolean;
  /** Port put into stream URIs (default 554) and snapshot URIs (default none, i.e. 80). */
  streamPort?: number;
  snapshotPort?: number;
}

export interface FakeDevice {
  host: string;
  port: number;
  requests: { operation: string; authorization?: string; hadWsse: boolean; path: string }[];
  close(): Promise<void>;
}

const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false });
const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

function envelope(body: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope"' +
    ' xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl"' +
    ` xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:ter="http://www.onvif.org/ver10/error"><SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`
  );
}

export function fault(subcode: string, reason: string): string {
  return envelope(
    '<SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Sender</SOAP-ENV:Value>' +
      `<SOAP-ENV:Subcode><SOAP-ENV:Value>${subcode}</SOAP-ENV:Value></SOAP-ENV:Subcode></SOAP-ENV:Code>` +
      `<SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">${reason}</SOAP-ENV:Text></SOAP-ENV:Reason></SOAP-ENV:Fault>`,
  );
}

function deviceTime(offsetMs: number): string {
  const d = new Date(Date.now() + offsetMs);
  return (
    '<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>' +
    `<tt:UTCDateTime><tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute><tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time>` +
    `<tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date></tt:UTCDateTime>` +
    '</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>'
  );
}

function wsseValid(header: unknown, o: FakeDeviceOptions): boolean {
  const token = (header as { Security?: { UsernameToken?: Record<string, unknown> } } | undefined)?.Security?.UsernameToken;
  if (!token) return false;
  const textOf = (v: unknown): string => (typeof v === 'object' && v ? String((v as { '#text'?: unknown })['#text'] ?? '') : String(v ?? ''));
  const nonce = Buffer.from(textOf(token['Nonce']), 'base64');
  const created = textOf(token['Created']);
  const expected = createHash('sha1').update(Buffer.concat([nonce, Buffer.from(created), Buffer.from(o.password, 'utf8')])).digest('base64');
  const skew = Math.abs(Date.parse(created) - (Date.now() + (o.clockOffsetMs ?? 0)));
  return textOf(token['Username']) === o.username && textOf(token['Password']) === expected && skew < 5_000;
}

function digestValid(authorization: string | undefined, nonce: string, o: FakeDeviceOptions, uri: string): boolean {
  if (!authorization?.startsWith('Digest ')) return false;
  const p = Object.fromEntries([...authorization.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)].map((m) => [m[1], m[2] ?? m[3]]));
  const ha1 = md5(`${o.username}:fake:${o.password}`);
  const ha2 = md5(`POST:${uri}`);
  const expected = md5(`${ha1}:${nonce}:${p['nc']}:${p['cnonce']}:auth:${ha2}`);
  return p['username'] === o.username && p['nonce'] === nonce && p['uri'] === uri && p['qop'] === 'auth' && p['response'] === expected;
}

export async function startFakeDevice(o: FakeDeviceOptions): Promise<FakeDevice> {
  const nonce = 'n' + Math.random().toString(16).slice(2);
  const requests: FakeDevice['requests'] = [];
  let base = '';
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const doc = parser.parse(Buffer.concat(chunks).toString('utf8')) as { Envelope?: { Header?: unknown; Body?: Record<string, unknown> } };
      const body = doc.Envelope?.Body ?? {};
      const operation = Object.keys(body)[0] ?? '';
      const op = body[operation] as Record<string, unknown> | undefined;
      requests.push({ operation, authorization: req.headers.authorization, hadWsse: JSON.stringify(doc.Envelope?.Header ?? '').includes('UsernameToken'), path: req.url ?? '' });
      const send = (status: number, xml: string): void => {
        res.writeHead(status, { 'content-type': 'application/soap+xml; charset=utf-8' }).end(xml);
      };
      if (operation !== 'GetSystemDateAndTime') {
        if (o.auth === 'digest' && !digestValid(req.headers.authorization, nonce, o, req.url ?? '')) {
          res.writeHead(401, { 'www-authenticate': `Basic realm="fake", Digest realm="fake", qop="auth", nonce="${nonce}", algorithm=MD5` }).end();
          return;
        }
        if (o.auth === 'wsse' && !wsseValid(doc.Envelope?.Header, o)) return send(400, fault('ter:NotAuthorized', 'Sender not Authorized'));
      }
      const host = o.uriHost ?? '127.0.0.1';
      const token = String((op?.['ProfileToken'] as string | undefined) ?? '');
      switch (operation) {
        case 'GetSystemDateAndTime':
          return send(200, envelope(deviceTime(o.clockOffsetMs ?? 0)));
        case 'GetDeviceInformation':
          return send(200, envelope('<tds:GetDeviceInformationResponse><tds:Manufacturer>Shouwang &amp; Co</tds:Manufacturer><tds:Model>SW-1</tds:Model>' +
            '<tds:FirmwareVersion>1.0</tds:FirmwareVersion><tds:SerialNumber>0012</tds:SerialNumber><tds:HardwareId>HW</tds:HardwareId></tds:GetDeviceInformationResponse>'));
        case 'GetCapabilities':
          return send(200, envelope(`<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Media><tt:XAddr>${o.mediaXAddr ?? `${base}/onvif/Media`}</tt:XAddr></tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>`));
        case 'GetProfiles':
          return send(200, envelope('<trt:GetProfilesResponse>' +
            ['main:1920:1080:25:4096:H264', 'sub:640:360:15:512:H265'].map((s) => {
              const [name, w, h, fps, br, enc] = s.split(':');
              return `<trt:Profiles token="${name}_token" fixed="true"><tt:Name>${name}</tt:Name><tt:VideoEncoderConfiguration token="v"><tt:Encoding>${enc}</tt:Encoding>` +
                `<tt:Resolution><tt:Width>${w}</tt:Width><tt:Height>${h}</tt:Height></tt:Resolution><tt:RateControl><tt:FrameRateLimit>${fps}</tt:FrameRateLimit>` +
                `<tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>${br}</tt:BitrateLimit></tt:RateControl></tt:VideoEncoderConfiguration></trt:Profiles>`;
            }).join('') + '</trt:GetProfilesResponse>'));
        case 'GetStreamUri':
          return send(200, envelope(`<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>rtsp://${host}:${o.streamPort ?? 554}/${token}?a=1&amp;b=2</tt:Uri></trt:MediaUri></trt:GetStreamUriResponse>`));
        case 'GetSnapshotUri':
          if (o.snapshot === false) return send(500, fault('ter:ActionNotSupported', 'no snapshots'));
          return send(200, envelope(`<trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>http://${host}${o.snapshotPort ? `:${o.snapshotPort}` : ''}/snap/${token}.jpg</tt:Uri></trt:MediaUri></trt:GetSnapshotUriResponse>`));
        default:
          return send(500, fault('ter:ActionNotSupported', `unknown ${operation}`));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  return {
    host: '127.0.0.1',
    port,
    requests,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
