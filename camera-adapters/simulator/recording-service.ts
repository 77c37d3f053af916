// ONVIF Profile G on a simulated camera: an "SD card" holding the last 24 hours except one hour when the card
// was out, answered through the search service (FindRecordings, GetRecordingSearchResults, GetRecordingSummary)
// and the replay service (GetReplayUri). Times are in the camera's own clock, as a real card reports them.
import { randomUUID } from 'node:crypto';
import type { OnvifDeviceFacts, OperationResult } from './onvif-operations.ts';
import { childOf, escapeXml, fault, textOf, type XmlNode } from './soap.ts';

export const SEARCH_SERVICE_PATH = '/onvif/search_service';
export const REPLAY_SERVICE_PATH = '/onvif/replay_service';
export const RECORDING_SERVICE_PATHS: ReadonlySet<string> = new Set([SEARCH_SERVICE_PATH, REPLAY_SERVICE_PATH]);

const TSE = 'http://www.onvif.org/ver10/search/wsdl';
const TRP = 'http://www.onvif.org/ver10/replay/wsdl';
const HOUR = 3_600_000;

export interface CardRecording {
  token: string;
  from: Date;
  to: Date;
}

/** What the card holds at `cameraNow`: [now-24h, now-6h) and [now-5h, now], whole seconds. */
export function cardRecordings(cameraNow: number): CardRecording[] {
  const now = Math.floor(cameraNow / 1000) * 1000;
  return [
    { token: 'sd-rec-1', from: new Date(now - 24 * HOUR), to: new Date(now - 6 * HOUR) },
    { token: 'sd-rec-2', from: new Date(now - 5 * HOUR), to: new Date(now) },
  ];
}

export function replayUri(c: OnvifDeviceFacts, recordingToken: string): string {
  return `rtsp://${c.host}:${c.rtspPort}/${encodeURIComponent(c.id)}/replay/${encodeURIComponent(recordingToken)}`;
}

const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function recordingInformation(r: CardRecording, c: OnvifDeviceFacts): string {
  return (
    `<tt:RecordingInformation><tt:RecordingToken>${escapeXml(r.token)}</tt:RecordingToken>` +
    `<tt:Source><tt:SourceId>${escapeXml(c.id)}</tt:SourceId><tt:Name>${escapeXml(c.name)}</tt:Name><tt:Location>sd</tt:Location>` +
    '<tt:Description>SD card</tt:Description><tt:Address>local</tt:Address></tt:Source>' +
    `<tt:EarliestRecording>${iso(r.from)}</tt:EarliestRecording><tt:LatestRecording>${iso(r.to)}</tt:LatestRecording>` +
    '<tt:Content>continuous</tt:Content>' +
    `<tt:Track><tt:TrackToken>video0</tt:TrackToken><tt:TrackType>Video</tt:TrackType><tt:Description>H264</tt:Description>` +
    `<tt:DataFrom>${iso(r.from)}</tt:DataFrom><tt:DataTo>${iso(r.to)}</tt:DataTo></tt:Track>` +
    '<tt:RecordingStatus>Recording</tt:RecordingStatus></tt:RecordingInformation>'
  );
}

/** Search sessions: a token from FindRecordings is answered once by GetRecordingSearchResults. */
const searches = new Map<string, { at: number }>();

/** Answers a Profile G operation, or undefined when the operation is not one of them. */
export function runRecordingOperation(operation: string, body: XmlNode, c: OnvifDeviceFacts): OperationResult | undefined {
  const cameraNow = Date.now() + c.clockOffsetMs;
  const recs = cardRecordings(cameraNow);
  switch (operation) {
    case 'GetRecordingSummary':
      return {
        xml:
          `<tse:GetRecordingSummaryResponse xmlns:tse="${TSE}"><tse:Summary>` +
          `<tt:DataFrom>${iso(recs[0]!.from)}</tt:DataFrom><tt:DataUntil>${iso(recs[recs.length - 1]!.to)}</tt:DataUntil>` +
          `<tt:NumberRecordings>${recs.length}</tt:NumberRecordings></tse:Summary></tse:GetRecordingSummaryResponse>`,
      };
    case 'FindRecordings': {
      const token = randomUUID();
      if (searches.size > 1000) searches.clear();
      searches.set(token, { at: cameraNow });
      return { xml: `<tse:FindRecordingsResponse xmlns:tse="${TSE}"><tse:SearchToken>${token}</tse:SearchToken></tse:FindRecordingsResponse>` };
    }
    case 'GetRecordingSearchResults': {
      const token = textOf(childOf(body, 'SearchToken'))?.trim() ?? '';
      if (!searches.delete(token)) return { fault: fault('env:Sender', 'ter:InvalidArgVal', 'unknown search token') };
      return {
        xml:
          `<tse:GetRecordingSearchResultsResponse xmlns:tse="${TSE}"><tse:ResultList><tt:SearchState>Completed</tt:SearchState>` +
          recs.map((r) => recordingInformation(r, c)).join('') +
          '</tse:ResultList></tse:GetRecordingSearchResultsResponse>',
      };
    }
    case 'GetReplayUri': {
      const token = textOf(childOf(body, 'RecordingToken'))?.trim() ?? '';
      if (!recs.some((r) => r.token === token)) return { fault: fault('env:Sender', 'ter:InvalidArgVal', `no recording "${token}"`) };
      return { xml: `<trp:GetReplayUriResponse xmlns:trp="${TRP}"><trp:Uri>${escapeXml(replayUri(c, token))}</trp:Uri></trp:GetReplayUriResponse>` };
    }
    default:
      return undefined;
  }
}
