// ONVIF Profile G calls for camera-side footage (search and replay services), bounded like every device call:
// the channel caps size and time, results are capped in number, and times the device lies about are clamped.
import type { OnvifClientOptions } from './client.ts';
import { OnvifError } from './errors.ts';
import { SoapChannel } from './soap-channel.ts';
import { DEFAULT_DEADLINE_MS, DEFAULT_MAX_BYTES } from './transport.ts';
import { assertDeviceUri, normaliseHost } from './uri-guard.ts';
import { child, children, escapeXml, path, text, type XmlNode } from './xml.ts';
import { isIPv6 } from 'node:net';

const TSE = 'http://www.onvif.org/ver10/search/wsdl';
const TRP = 'http://www.onvif.org/ver10/replay/wsdl';
const SEARCH_PATH = '/onvif/search_service';
const REPLAY_PATH = '/onvif/replay_service';
const MAX_RECORDINGS = 256;
/** A card older than this, or times in the future beyond the leeway, are device lies, not footage. */
const MAX_AGE_MS = 400 * 24 * 3600_000;
const FUTURE_LEEWAY_MS = 5 * 60_000;

export interface CameraRecording {
  token: string;
  /** In gateway time (device clock offset removed), clamped to [now - 400 d, now]. */
  from: Date;
  to: Date;
}

/** The device client's options a recording search needs: the same host pin, budget and body cap. */
export type RecordingClientOptions = Pick<
  OnvifClientOptions, 'host' | 'port' | 'scheme' | 'username' | 'password' | 'deadlineMs' | 'maxBytes' | 'clockOffsetMs'
>;

/** Device time string → gateway time, or null when it is no time at all. */
function deviceTime(s: string, offsetMs: number): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.test(s)) return null;
  const t = Date.parse(/Z|[+-]\d{2}:\d{2}$/.test(s) ? s : `${s}Z`);
  return Number.isFinite(t) ? t - offsetMs : null;
}

/** RecordingInformation list → ranges in gateway time; lying, reversed or absurd entries clamped or dropped. */
export function parseRecordingResults(resultList: XmlNode | undefined, offsetMs: number, now = Date.now()): CameraRecording[] {
  const out: CameraRecording[] = [];
  const lo = now - MAX_AGE_MS;
  const hi = now + FUTURE_LEEWAY_MS;
  for (const info of children(resultList, 'RecordingInformation').slice(0, MAX_RECORDINGS)) {
    const token = text(info, 'RecordingToken').slice(0, 128);
    const from = deviceTime(text(info, 'EarliestRecording'), offsetMs);
    const to = deviceTime(text(info, 'LatestRecording'), offsetMs);
    if (!token || from === null || to === null) continue;
    const f = Math.max(lo, Math.min(from, hi));
    const t = Math.max(lo, Math.min(to, Math.min(hi, now)));
    if (f < t) out.push({ token, from: new Date(f), to: new Date(t) });
  }
  return out.sort((a, b) => a.from.getTime() - b.from.getTime());
}

export class OnvifRecordingClient {
  private readonly channel: SoapChannel;
  private readonly base: string;
  private readonly host: string;

  constructor(private readonly o: RecordingClientOptions) {
    const host = normaliseHost(o.host);
    if (!host) throw new OnvifError('unreachable', `invalid device host ${JSON.stringify(o.host)}`);
    this.host = host;
    this.base = `${o.scheme ?? 'http'}://${isIPv6(host) ? `[${host}]` : host}:${o.port}`;
    this.channel = new SoapChannel({
      deadlineMs: o.deadlineMs ?? DEFAULT_DEADLINE_MS,
      maxBytes: o.maxBytes ?? DEFAULT_MAX_BYTES,
      credentials: o.username !== undefined ? { username: o.username, password: o.password ?? '' } : undefined,
    });
    this.channel.clockOffsetMs = o.clockOffsetMs ?? 0;
  }

  private call(pathName: string, ns: string, prefix: string, operation: string, inner: string): Promise<XmlNode> {
    return this.channel.call(
      new URL(pathName, this.base),
      `${ns}/${operation}`,
      `<${prefix}:${operation} xmlns:${prefix}="${ns}">${inner}</${prefix}:${operation}>`,
      { wsSecurity: true },
    );
  }

  /** Every recording the camera holds (FindRecordings, then its results), in gateway time. */
  async findRecordings(): Promise<CameraRecording[]> {
    const found = await this.call(SEARCH_PATH, TSE, 'tse', 'FindRecordings', `<tse:Scope/><tse:MaxMatches>${MAX_RECORDINGS}</tse:MaxMatches><tse:KeepAliveTime>PT10S</tse:KeepAliveTime>`);
    const token = text(found, 'FindRecordingsResponse', 'SearchToken').slice(0, 256);
    if (!token) throw new OnvifError('bad_response', 'FindRecordings answered without a SearchToken');
    const results = await this.call(
      SEARCH_PATH, TSE, 'tse', 'GetRecordingSearchResults',
      `<tse:SearchToken>${escapeXml(token)}</tse:SearchToken><tse:MinResults>1</tse:MinResults><tse:MaxResults>${MAX_RECORDINGS}</tse:MaxResults><tse:WaitTime>PT2S</tse:WaitTime>`,
    );
    return parseRecordingResults(path(results, 'GetRecordingSearchResultsResponse', 'ResultList'), this.channel.clockOffsetMs);
  }

  async getRecordingSummary(): Promise<{ from: Date; to: Date; count: number } | null> {
    const r = await this.call(SEARCH_PATH, TSE, 'tse', 'GetRecordingSummary', '');
    const s = path(r, 'GetRecordingSummaryResponse', 'Summary');
    const info = parseRecordingResults({ RecordingInformation: { RecordingToken: 'summary', EarliestRecording: text(s, 'DataFrom'), LatestRecording: text(s, 'DataUntil') } }, this.channel.clockOffsetMs);
    const n = Number(text(s, 'NumberRecordings'));
    return info[0] ? { from: info[0].from, to: info[0].to, count: Number.isInteger(n) && n >= 0 ? Math.min(n, 1e6) : 0 } : null;
  }

  /** RTSP replay URI of one recording; it must point at the enrolled host like every device URI. */
  async getReplayUri(recordingToken: string): Promise<string> {
    const r = await this.call(
      REPLAY_PATH, TRP, 'trp', 'GetReplayUri',
      `<trp:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trp:StreamSetup><trp:RecordingToken>${escapeXml(recordingToken)}</trp:RecordingToken>`,
    );
    const uri = text(child(r, 'GetReplayUriResponse'), 'Uri');
    if (!uri) throw new OnvifError('bad_response', 'GetReplayUri answered without a Uri');
    return assertDeviceUri(uri, 'stream', this.host);
  }
}
