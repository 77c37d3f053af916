import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { OnvifError } from './errors.ts';

/** A parsed XML element: child elements by local name, attributes as `@_name`, text as `#text`. */
export type XmlNode = { [key: string]: unknown };

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escape any value before it goes into XML text or an attribute. */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Single pass over the five predefined entities and character references: nothing expands into more references. */
export function decodeXmlText(value: string): string {
  if (!value.includes('&')) return value;
  return value.replace(/&(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(amp|lt|gt|quot|apos));/g, (whole, hex, dec, name) => {
    if (name) return NAMED[name as string] ?? whole;
    const code = hex ? parseInt(hex as string, 16) : parseInt(dec as string, 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

const parser = new XMLParser({
  processEntities: false, // no DTD entities, ever; predefined ones are decoded by decodeXmlText
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false, // serial numbers like "0012" stay strings
  parseAttributeValue: false,
  maxNestedTags: 64,
  tagValueProcessor: (_tag, value) => decodeXmlText(value),
  attributeValueProcessor: (_name, value) => decodeXmlText(value),
});

const DTD_MARKERS = /<!\s*(DOCTYPE|ENTITY|ATTLIST|ELEMENT)/i;

/**
 * Parse an untrusted XML document. Refuses any DTD before the parser sees it (XXE, billion laughs).
 * Throws `not_onvif` when the text is not XML at all, `bad_response` when it is XML but unacceptable.
 */
export function parseXmlStrict(text: string): XmlNode {
  const doc = text.replace(/^\uFEFF/, '');
  if (DTD_MARKERS.test(doc)) throw new OnvifError('bad_response', 'device sent an XML document type declaration; refused');
  if (!doc.trimStart().startsWith('<')) throw new OnvifError('not_onvif', 'response is not XML');
  const valid = XMLValidator.validate(doc);
  if (valid !== true) {
    const code = /Envelope/.test(doc) ? 'bad_response' : 'not_onvif';
    throw new OnvifError(code, `response is not well-formed XML (${valid.err.code} at line ${valid.err.line})`);
  }
  try {
    return parser.parse(doc) as XmlNode;
  } catch (err) {
    throw new OnvifError('bad_response', `XML could not be parsed: ${(err as Error).message}`, { cause: err });
  }
}

export function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** First child element named `name` (local name), or undefined. */
export function child(node: unknown, name: string): XmlNode | undefined {
  if (!isNode(node)) return undefined;
  const value = node[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (isNode(first)) return first;
  if (typeof first === 'string') return { '#text': first };
  return undefined;
}

/** All child elements named `name`, in document order. */
export function children(node: unknown, name: string): XmlNode[] {
  if (!isNode(node)) return [];
  const value = node[name];
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.map((v) => (isNode(v) ? v : { '#text': typeof v === 'string' ? v : '' }));
}

/** Text content of a node or of the path of child names below it; '' when absent. */
export function text(node: unknown, ...path: string[]): string {
  let current: unknown = node;
  for (const name of path) {
    if (!isNode(current)) return '';
    const value = current[name];
    current = Array.isArray(value) ? value[0] : value;
  }
  if (typeof current === 'string') return current.trim();
  if (isNode(current) && typeof current['#text'] === 'string') return current['#text'].trim();
  return '';
}

/** Element path: child(child(node, a), b)… */
export function path(node: unknown, ...names: string[]): XmlNode | undefined {
  let current: XmlNode | undefined = isNode(node) ? node : undefined;
  for (const name of names) current = child(current, name);
  return current;
}
