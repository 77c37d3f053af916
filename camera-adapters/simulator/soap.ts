// SOAP 1.2 envelopes for ONVIF: strict request parsing (no DTDs, no entities) and response/fault building.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export type XmlNode = Record<string, unknown>;

export interface SoapRequest {
  /** Local name of the first element in Body, e.g. `GetProfiles`. */
  operation: string;
  body: XmlNode;
  header: XmlNode | undefined;
}

export class SoapParseError extends Error {
  readonly code = 'soap_parse_error';
  constructor(message: string) {
    super(message);
    this.name = 'SoapParseError';
  }
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

function asNode(value: unknown): XmlNode | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as XmlNode) : undefined;
}

export function parseSoapRequest(xml: string): SoapRequest {
  // DTDs are how XML entity attacks start; no ONVIF client sends one.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new SoapParseError('DTDs are not accepted');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new SoapParseError(`malformed XML: ${valid.err.msg}`);
  const doc = asNode(parser.parse(xml));
  const envelope = asNode(doc?.Envelope);
  if (!envelope) throw new SoapParseError('no SOAP Envelope');
  const body = asNode(envelope.Body);
  const operation = body ? Object.keys(body).find((k) => !k.startsWith('@_')) : undefined;
  if (!body || !operation) throw new SoapParseError('empty SOAP Body');
  return { operation, body: asNode(body[operation]) ?? {}, header: asNode(envelope.Header) };
}

/** Text content of a parsed element, whether or not it carried attributes. */
export function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const node = asNode(value);
  const text = node?.['#text'];
  if (typeof text === 'string') return text;
  if (node && Object.keys(node).every((k) => k.startsWith('@_'))) return '';
  return undefined;
}

export function childOf(node: unknown, ...path: string[]): unknown {
  let current: unknown = node;
  for (const key of path) current = asNode(current)?.[key];
  return current;
}

export function escapeXml(value: string | number | boolean): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export const NS = {
  env: 'http://www.w3.org/2003/05/soap-envelope',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tt: 'http://www.onvif.org/ver10/schema',
  ter: 'http://www.onvif.org/ver10/error',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
} as const;

const ENVELOPE_NS = Object.entries(NS)
  .map(([prefix, uri]) => `xmlns:${prefix}="${uri}"`)
  .join(' ');

export function soapEnvelope(bodyXml: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope ${ENVELOPE_NS}><env:Body>${bodyXml}</env:Body></env:Envelope>`;
}

export type FaultCode = 'env:Sender' | 'env:Receiver';

export interface SoapFault {
  code: FaultCode;
  subcode: string;
  reason: string;
  /** SOAP 1.2 HTTP binding: Sender → 400, Receiver → 500; ONVIF auth failures may use 401. */
  httpStatus: number;
}

export function fault(code: FaultCode, subcode: string, reason: string, httpStatus?: number): SoapFault {
  return { code, subcode, reason, httpStatus: httpStatus ?? (code === 'env:Sender' ? 400 : 500) };
}

export function faultEnvelope(f: SoapFault): string {
  return soapEnvelope(
    `<env:Fault><env:Code><env:Value>${f.code}</env:Value><env:Subcode><env:Value>${escapeXml(f.subcode)}</env:Value></env:Subcode></env:Code>` +
      `<env:Reason><env:Text xml:lang="en">${escapeXml(f.reason)}</env:Text></env:Reason></env:Fault>`,
  );
}
