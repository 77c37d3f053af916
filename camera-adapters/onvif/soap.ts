import { OnvifError } from './errors.ts';
import { child, children, isNode, parseXmlStrict, text, type XmlNode } from './xml.ts';

export const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tt: 'http://www.onvif.org/ver10/schema',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
} as const;

/** A SOAP 1.2 envelope; `bodyXml` and `headerXml` must already be built from escaped values. */
export function buildEnvelope(bodyXml: string, headerXml = ''): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<s:Envelope xmlns:s="${NS.soap}" xmlns:tds="${NS.tds}" xmlns:trt="${NS.trt}" xmlns:tt="${NS.tt}">` +
    (headerXml ? `<s:Header>${headerXml}</s:Header>` : '') +
    `<s:Body>${bodyXml}</s:Body></s:Envelope>`
  );
}

/** Local part of a QName such as `ter:NotAuthorized`. */
function localName(qname: string): string {
  const i = qname.lastIndexOf(':');
  return i >= 0 ? qname.slice(i + 1) : qname;
}

/** Every code and subcode value of a SOAP 1.2 or 1.1 fault, as local names. */
function faultCodes(fault: XmlNode): string[] {
  const codes: string[] = [];
  let code = child(fault, 'Code');
  for (let depth = 0; code && depth < 8; depth++) {
    const value = text(code, 'Value');
    if (value) codes.push(localName(value));
    code = child(code, 'Subcode');
  }
  const legacy = text(fault, 'faultcode');
  if (legacy) codes.push(...legacy.split('.').map(localName));
  return codes;
}

function faultReason(fault: XmlNode): string {
  const reason = children(child(fault, 'Reason'), 'Text').map((t) => text(t)).find((t) => t) ?? text(fault, 'faultstring');
  return reason.slice(0, 300) || 'no reason given';
}

/** Map a SOAP Fault to a typed error. */
export function faultToError(fault: XmlNode): OnvifError {
  const codes = faultCodes(fault);
  const reason = faultReason(fault);
  if (codes.includes('NotAuthorized') || codes.includes('FailedAuthentication')) {
    return new OnvifError('auth_failed', `device refused the credentials: ${reason}`);
  }
  if (codes.includes('ActionNotSupported') || codes.includes('ActionNotSupportedFault')) {
    return new OnvifError('not_supported', `device does not support this operation: ${reason}`);
  }
  return new OnvifError('soap_fault', `device answered with a SOAP fault [${codes.join('/')}]: ${reason}`);
}

/** Parse a SOAP response and return its Body; Faults become typed errors; anything not SOAP is `not_onvif`. */
export function parseSoapBody(xml: string): XmlNode {
  const doc = parseXmlStrict(xml);
  const envelope = child(doc, 'Envelope');
  const body = envelope ? envelope['Body'] : undefined;
  if (!envelope || body === undefined) throw new OnvifError('not_onvif', 'response is XML but not a SOAP envelope');
  if (!isNode(body)) throw new OnvifError('bad_response', 'SOAP Body is empty');
  const fault = child(body, 'Fault');
  if (fault) throw faultToError(fault);
  return body;
}
