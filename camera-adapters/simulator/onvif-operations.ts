// ONVIF device and media operations answered by a simulated camera: SOAP body in, SOAP body out.
import { PROFILES, PROFILE_TOKENS, isProfileToken, type MediaProfile } from './profiles.ts';
import { childOf, escapeXml, fault, textOf, type SoapFault, type XmlNode } from './soap.ts';
import { runRecordingOperation } from './recording-service.ts';

export const DEVICE_SERVICE_PATH = '/onvif/device_service';
export const MEDIA_SERVICE_PATH = '/onvif/media_service';

/** What the operations need to know about the camera answering. */
export interface OnvifDeviceFacts {
  id: string;
  name: string;
  host: string;
  httpPort: number;
  rtspPort: number;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
  /** Camera clock = host clock + this; clients must correct for it. */
  clockOffsetMs: number;
  /** The streams it serves, as GetProfiles reports them (default PROFILES). */
  profiles?: Readonly<Record<'main' | 'sub', MediaProfile>>;
}

export type OperationResult = { xml: string } | { fault: SoapFault };

/** Operations a client may call before authenticating (ONVIF Core §5.9.4, narrowed to what clients need). */
export const UNAUTHENTICATED_OPERATIONS: ReadonlySet<string> = new Set(['GetSystemDateAndTime']);

export const MANUFACTURER = 'Shouwang-Sim';

const baseUrl = (c: OnvifDeviceFacts): string => `http://${c.host}:${c.httpPort}`;

function dateTimeXml(tag: string, d: Date, utc: boolean): string {
  const get = utc
    ? [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()]
    : [d.getHours(), d.getMinutes(), d.getSeconds(), d.getFullYear(), d.getMonth() + 1, d.getDate()];
  const [h, mi, s, y, mo, day] = get;
  return `<tt:${tag}><tt:Time><tt:Hour>${h}</tt:Hour><tt:Minute>${mi}</tt:Minute><tt:Second>${s}</tt:Second></tt:Time><tt:Date><tt:Year>${y}</tt:Year><tt:Month>${mo}</tt:Month><tt:Day>${day}</tt:Day></tt:Date></tt:${tag}>`;
}

function getSystemDateAndTime(c: OnvifDeviceFacts): string {
  const now = new Date(Date.now() + c.clockOffsetMs);
  // China Standard Time, fixed: the cameras we imitate are set to it and have no DST.
  const local = new Date(now.getTime() + 8 * 3600_000);
  return (
    '<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>' +
    '<tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>' +
    '<tt:TimeZone><tt:TZ>CST-8</tt:TZ></tt:TimeZone>' +
    dateTimeXml('UTCDateTime', now, true) +
    dateTimeXml('LocalDateTime', local, true) +
    '</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>'
  );
}

function getDeviceInformation(c: OnvifDeviceFacts): string {
  return (
    '<tds:GetDeviceInformationResponse>' +
    `<tds:Manufacturer>${MANUFACTURER}</tds:Manufacturer><tds:Model>${escapeXml(c.model)}</tds:Model>` +
    `<tds:FirmwareVersion>${escapeXml(c.firmwareVersion)}</tds:FirmwareVersion>` +
    `<tds:SerialNumber>${escapeXml(c.serialNumber)}</tds:SerialNumber><tds:HardwareId>${escapeXml(c.hardwareId)}</tds:HardwareId>` +
    '</tds:GetDeviceInformationResponse>'
  );
}

function getCapabilities(c: OnvifDeviceFacts): string {
  const base = baseUrl(c);
  return (
    '<tds:GetCapabilitiesResponse><tds:Capabilities>' +
    `<tt:Device><tt:XAddr>${base}${DEVICE_SERVICE_PATH}</tt:XAddr>` +
    '<tt:Network><tt:IPFilter>false</tt:IPFilter><tt:ZeroConfiguration>false</tt:ZeroConfiguration><tt:IPVersion6>false</tt:IPVersion6><tt:DynDNS>false</tt:DynDNS></tt:Network>' +
    '<tt:System><tt:DiscoveryResolve>false</tt:DiscoveryResolve><tt:DiscoveryBye>false</tt:DiscoveryBye><tt:RemoteDiscovery>false</tt:RemoteDiscovery><tt:SystemBackup>false</tt:SystemBackup><tt:SystemLogging>false</tt:SystemLogging><tt:FirmwareUpgrade>false</tt:FirmwareUpgrade>' +
    '<tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tt:SupportedVersions></tt:System>' +
    '<tt:Security><tt:TLS1.1>false</tt:TLS1.1><tt:TLS1.2>false</tt:TLS1.2><tt:OnboardKeyGeneration>false</tt:OnboardKeyGeneration><tt:AccessPolicyConfig>false</tt:AccessPolicyConfig><tt:X.509Token>false</tt:X.509Token><tt:SAMLToken>false</tt:SAMLToken><tt:KerberosToken>false</tt:KerberosToken><tt:RELToken>false</tt:RELToken></tt:Security>' +
    '</tt:Device>' +
    `<tt:Media><tt:XAddr>${base}${MEDIA_SERVICE_PATH}</tt:XAddr>` +
    '<tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities>' +
    '</tt:Media>' +
    '</tds:Capabilities></tds:GetCapabilitiesResponse>'
  );
}

function getServices(c: OnvifDeviceFacts): string {
  const base = baseUrl(c);
  const service = (ns: string, path: string): string =>
    `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${base}${path}</tds:XAddr>` +
    '<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>';
  return (
    '<tds:GetServicesResponse>' +
    service('http://www.onvif.org/ver10/device/wsdl', DEVICE_SERVICE_PATH) +
    service('http://www.onvif.org/ver10/media/wsdl', MEDIA_SERVICE_PATH) +
    '</tds:GetServicesResponse>'
  );
}

function profileXml(p: MediaProfile, tag: string): string {
  const main = PROFILES.main;
  return (
    `<${tag} token="${p.token}" fixed="true"><tt:Name>${p.name}</tt:Name>` +
    '<tt:VideoSourceConfiguration token="vsc0"><tt:Name>VideoSource</tt:Name><tt:UseCount>2</tt:UseCount><tt:SourceToken>vs0</tt:SourceToken>' +
    `<tt:Bounds x="0" y="0" width="${main.width}" height="${main.height}"/></tt:VideoSourceConfiguration>` +
    `<tt:VideoEncoderConfiguration token="vec-${p.token}"><tt:Name>${p.name}</tt:Name><tt:UseCount>1</tt:UseCount>` +
    '<tt:Encoding>H264</tt:Encoding>' +
    `<tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution>` +
    '<tt:Quality>4</tt:Quality>' +
    `<tt:RateControl><tt:FrameRateLimit>${p.fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>${p.bitrateKbps}</tt:BitrateLimit></tt:RateControl>` +
    `<tt:H264><tt:GovLength>${p.fps}</tt:GovLength><tt:H264Profile>Baseline</tt:H264Profile></tt:H264>` +
    '<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address><tt:Port>0</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>' +
    '<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration>' +
    `</${tag}>`
  );
}

function requireProfile(body: XmlNode, c: OnvifDeviceFacts): MediaProfile | SoapFault {
  const token = textOf(childOf(body, 'ProfileToken'))?.trim() ?? '';
  if (!isProfileToken(token)) return fault('env:Sender', 'ter:NoProfile', `no profile with token "${token}"`);
  return (c.profiles ?? PROFILES)[token];
}

function mediaUri(tag: string, uri: string): string {
  return (
    `<trt:${tag}><trt:MediaUri><tt:Uri>${escapeXml(uri)}</tt:Uri>` +
    '<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout>' +
    `</trt:MediaUri></trt:${tag}>`
  );
}

export function streamUri(c: OnvifDeviceFacts, profile: MediaProfile): string {
  return `rtsp://${c.host}:${c.rtspPort}/${encodeURIComponent(c.id)}/${profile.token}`;
}

export function snapshotUri(c: OnvifDeviceFacts, profile: MediaProfile): string {
  return `${baseUrl(c)}/snapshot/${profile.token}.jpg`;
}

export function runOperation(operation: string, body: XmlNode, c: OnvifDeviceFacts): OperationResult {
  switch (operation) {
    case 'GetSystemDateAndTime':
      return { xml: getSystemDateAndTime(c) };
    case 'GetDeviceInformation':
      return { xml: getDeviceInformation(c) };
    case 'GetCapabilities':
      return { xml: getCapabilities(c) };
    case 'GetServices':
      return { xml: getServices(c) };
    case 'GetHostname':
      return { xml: `<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP><tt:Name>${escapeXml(c.id)}</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>` };
    case 'GetScopes':
      return {
        xml:
          '<tds:GetScopesResponse>' +
          ['onvif://www.onvif.org/type/video_encoder', `onvif://www.onvif.org/name/${encodeURIComponent(c.name)}`, `onvif://www.onvif.org/hardware/${encodeURIComponent(c.model)}`]
            .map((s) => `<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef><tt:ScopeItem>${escapeXml(s)}</tt:ScopeItem></tds:Scopes>`)
            .join('') +
          '</tds:GetScopesResponse>',
      };
    case 'GetProfiles':
      return { xml: `<trt:GetProfilesResponse>${PROFILE_TOKENS.map((t) => profileXml((c.profiles ?? PROFILES)[t], 'trt:Profiles')).join('')}</trt:GetProfilesResponse>` };
    case 'GetProfile': {
      const p = requireProfile(body, c);
      return 'code' in p ? { fault: p } : { xml: `<trt:GetProfileResponse>${profileXml(p, 'trt:Profile')}</trt:GetProfileResponse>` };
    }
    case 'GetVideoSources': {
      const m = PROFILES.main;
      return {
        xml: `<trt:GetVideoSourcesResponse><trt:VideoSources token="vs0"><tt:Framerate>${m.fps}</tt:Framerate><tt:Resolution><tt:Width>${m.width}</tt:Width><tt:Height>${m.height}</tt:Height></tt:Resolution></trt:VideoSources></trt:GetVideoSourcesResponse>`,
      };
    }
    case 'GetStreamUri': {
      const p = requireProfile(body, c);
      // Like most cameras, one URI whatever StreamSetup asks; the RTSP server then insists on TCP.
      return 'code' in p ? { fault: p } : { xml: mediaUri('GetStreamUriResponse', streamUri(c, p)) };
    }
    case 'GetSnapshotUri': {
      const p = requireProfile(body, c);
      return 'code' in p ? { fault: p } : { xml: mediaUri('GetSnapshotUriResponse', snapshotUri(c, p)) };
    }
    default:
      return runRecordingOperation(operation, body, c) ?? { fault: fault('env:Receiver', 'ter:ActionNotSupported', `${operation} is not supported by this device`) };
  }
}
