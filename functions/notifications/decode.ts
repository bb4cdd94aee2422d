import { XMLParser, XMLValidator, type EntityDecoderOptions } from 'fast-xml-parser';
import { badRequest, HttpError, unsupportedMediaType } from '../shared/errors.ts';
import { assertStorable } from '../shared/storable.ts';
import { decodeJsonNotification, JSON_ROOT } from './json-notification.ts';

export type Encoding = 'json' | 'xml';

const JSON_TYPES = new Set(['application/json', 'application/yang-data+json']);
const XML_TYPES = new Set(['application/xml', 'application/yang-data+xml']);
const NETCONF_NOTIFICATION_NS = 'urn:ietf:params:xml:ns:netconf:notification:1.0';
const INTERFACES_NS = 'urn:ietf:params:xml:ns:yang:ietf-interfaces';
// Leaf-lists and lists that must stay lists when XML carries a single entry.
const LIST_NAMES = new Set(['interface', 'higher-layer-if', 'lower-layer-if']);

export function encodingOf(mediaType: string | undefined): Encoding {
  if (mediaType !== undefined && JSON_TYPES.has(mediaType)) return 'json';
  if (mediaType !== undefined && XML_TYPES.has(mediaType)) return 'xml';
  throw unsupportedMediaType(
    `Content-Type ${mediaType ?? '(none)'} is not supported; send application/yang-data+json, application/json, application/yang-data+xml or application/xml`,
  );
}

/** The notification's content (eventTime and payload) as a JSON-like object, from either encoding. */
export function decodeNotification(text: string, encoding: Encoding): Record<string, unknown> {
  return encoding === 'json' ? decodeJsonNotification(text) : decodeXml(text);
}

// The parser refuses or renames elements named like Object.prototype's members; YANG
// payloads may use such names (`constructor`, `toString`), so they are marked while
// parsing and restored by valueOf into plain objects. XML names cannot contain U+0000.
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);
const MARK = '\u0000';
const markReserved = (name: string) => (RESERVED_NAMES.has(localName(name)) ? `${name}${MARK}` : name);

const PREDEFINED_ENTITIES = new Map([['amp', '&'], ['lt', '<'], ['gt', '>'], ['quot', '"'], ['apos', "'"]]);
const CHARACTER_REFERENCE = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/;

/** XML 1.0's Char production: the characters a character reference may name. */
const isXmlChar = (c: number) => c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);

const badReference = (reference: string, why: string) => badRequest(`the notification contains ${reference.length > 40 ? `${reference.slice(0, 40)}…` : reference}, which ${why}`);

/**
 * Text and attribute values with their references decoded: the five predefined entities and
 * character references, the only ones a document without a DTD can hold. Not the parser's own
 * decoder, which leaves an undeclared entity as text and silently drops a reference to a
 * character XML forbids, where both make the document wrong.
 */
function decodeReferences(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&([^&;<\s]*)(;?)/g, (reference: string, name: string, end: string) => {
    if (end === '') throw badReference(reference, 'is an & that starts no reference (a literal & is written &amp;)');
    const predefined = PREDEFINED_ENTITIES.get(name);
    if (predefined !== undefined) return predefined;
    const [, hex, decimal] = CHARACTER_REFERENCE.exec(name) ?? [];
    if (hex === undefined && decimal === undefined) {
      if (name.startsWith('#')) throw badReference(reference, 'is not a character reference (&#<decimal>; or &#x<hex>;)');
      throw badReference(reference, "is not one of XML's predefined entities (amp, lt, gt, quot, apos), and a notification may declare none");
    }
    const code = hex !== undefined ? Number.parseInt(hex, 16) : Number(decimal);
    if (!isXmlChar(code)) {
      const shown = code <= 0x10ffff ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : 'no Unicode character';
      throw badReference(reference, `refers to ${shown}, which XML does not allow in a document`);
    }
    return String.fromCodePoint(code);
  });
}

const xmlReferences: EntityDecoderOptions = {
  decode: decodeReferences,
  reset: () => undefined,
  setXmlVersion: () => undefined,
  setExternalEntities: () => undefined,
  // Declared entities come only from a DOCTYPE, which is refused before parsing.
  addInputEntities: () => {
    throw badRequest('DOCTYPE and entity declarations are not allowed in notifications');
  },
};

/** A node as the parser gives it in document order: an element `{ <name>: children, ':@'?: attributes }`, or text. */
type XmlNode = Record<string, unknown>;
const TEXT = '#text';
const ATTRIBUTES = ':@';

const parser = new XMLParser({
  preserveOrder: true,
  transformTagName: markReserved,
  transformAttributeName: markReserved,
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  // Text is kept as sent; only the whitespace between elements is dropped, by valueOf.
  trimValues: false,
  processEntities: true,
  entityDecoder: xmlReferences,
});

function decodeXml(text: string): Record<string, unknown> {
  // Refused before any parsing, so that no entity is ever expanded (billion laughs, XXE).
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw badRequest('DOCTYPE and entity declarations are not allowed in notifications');
  const validation = XMLValidator.validate(text);
  if (validation !== true) {
    // The validator's word for a malformed reference: named as the parser's references are, with a 400.
    const at = validation.err.msg === "char '&' is not expected." ? offsetOf(text, validation.err.line, validation.err.col) : -1;
    if (text[at] === '&') decodeReferences(/^&[^\s<&;]*;?/.exec(text.slice(at, at + 64))?.[0] ?? '&');
    throw unsupportedMediaType(`the body is not well-formed XML: ${validation.err.msg} (line ${validation.err.line}, column ${validation.err.col})`);
  }
  let nodes: XmlNode[];
  try {
    nodes = parser.parse(text) as XmlNode[];
  } catch (error) {
    if (error instanceof HttpError) throw error;
    // The validator lets through some markup the parser then cannot read.
    throw unsupportedMediaType(`the body is not well-formed XML: ${(error as Error).message.split('\n')[0]}`);
  }
  const roots = nodes.filter((node) => isElement(node) && !nameOf(node).startsWith('?'));
  const root = roots[0];
  const rootName = root === undefined ? '' : nameOf(root).replace(MARK, '');
  const scope = root === undefined ? NO_NAMESPACES : inScope(root, NO_NAMESPACES);
  // The seed's publisher names its root by module, as JSON does, and declares no prefix.
  const byModule = rootName === JSON_ROOT;
  const rfc5277 = localName(rootName) === 'notification' && namespaceOf(rootName, scope) === NETCONF_NOTIFICATION_NS;
  if (roots.length !== 1 || root === undefined || !(byModule || rfc5277)) {
    throw badRequest(`the root must be <${JSON_ROOT}> or <notification xmlns="${NETCONF_NOTIFICATION_NS}">, got <${rootName}>${whereIs(rootName, scope)}`, [
      { field: rootName, message: 'wrong root' },
    ]);
  }
  const content = valueOf(root, rootName, scope);
  if (typeof content === 'string' && !isWhitespace(content)) {
    throw badRequest(`the root <${rootName}> holds text; a notification's content is elements`, [{ field: rootName, message: 'text where elements belong' }]);
  }
  const notification = typeof content === 'string' ? {} : content;
  assertStorable({ [rootName]: notification }, 'the notification');
  return notification;
}

const isElement = (node: XmlNode) => !(TEXT in node);
/** An element's name as the parser marked it (see markReserved). */
const nameOf = (element: XmlNode) => Object.keys(element).find((key) => key !== ATTRIBUTES) ?? '';
const attributesOf = (element: XmlNode) => (element[ATTRIBUTES] ?? {}) as Record<string, string>;

/** The namespaces in scope: prefix to name, '' for the default namespace. */
type Namespaces = ReadonlyMap<string, string>;
const NO_NAMESPACES: Namespaces = new Map();

/** The namespaces in scope within an element: those around it, and those its xmlns attributes declare. */
function inScope(element: XmlNode, around: Namespaces): Namespaces {
  let scope: Map<string, string> | undefined;
  for (const [attribute, value] of Object.entries(attributesOf(element))) {
    const name = attribute.slice(1).replace(MARK, '');
    if (name !== 'xmlns' && !name.startsWith('xmlns:')) continue;
    scope ??= new Map(around);
    scope.set(name === 'xmlns' ? '' : name.slice('xmlns:'.length), value);
  }
  return scope ?? around;
}

/** An element's namespace: its prefix's, or the default one; undefined for none, or for a prefix never declared. */
function namespaceOf(name: string, scope: Namespaces): string | undefined {
  const colon = name.indexOf(':');
  return scope.get(colon === -1 ? '' : name.slice(0, colon)) || undefined;
}

function whereIs(name: string, scope: Namespaces): string {
  const colon = name.indexOf(':');
  if (colon !== -1 && !scope.has(name.slice(0, colon))) return `, whose prefix "${name.slice(0, colon)}" is not declared`;
  const namespace = namespaceOf(name, scope);
  return namespace === undefined ? ' in no namespace' : ` in namespace "${namespace}"`;
}

/**
 * Whether an element named interfaces is RFC 8343's: in its namespace, or, as publishers
 * that leave the namespace out send it, in none of its own (no namespace, an undeclared
 * prefix such as ietf-interfaces:, or the notification's). In another module's namespace
 * it is that module's content.
 */
const isInterfaces = (namespace: string | undefined) => namespace === undefined || namespace === INTERFACES_NS || namespace === NETCONF_NOTIFICATION_NS;

// XML's whitespace: what indents elements.
const isWhitespace = (text: string) => /^[ \t\r\n]*$/.test(text);

/**
 * An element's value in JSON terms: its text as sent when it holds no elements ("" when it
 * holds nothing, whatever its attributes), else its elements by local name, with the
 * whitespace that indents them dropped. Attributes are dropped, prefixes too (resolved
 * through the declarations in scope where the name is checked); interfaces are named as
 * RFC 7951 does, and the lists in LIST_NAMES stay lists when they hold one entry.
 */
function valueOf(element: XmlNode, name: string, scope: Namespaces): string | Record<string, unknown> {
  const children = element[nameOf(element)] as XmlNode[];
  const text = children.map((child) => (isElement(child) ? '' : String(child[TEXT]))).join('');
  const elements = children.filter(isElement);
  if (elements.length === 0) return text;
  if (!isWhitespace(text)) throw badRequest(`<${name}> mixes text with child elements, which YANG data does not`, [{ field: name, message: 'mixed content' }]);
  const out: Record<string, unknown> = {};
  for (const child of elements) {
    const childName = nameOf(child).replace(MARK, '');
    const local = localName(childName);
    if (local === '__proto__') throw badRequest('the notification contains a forbidden element name (__proto__)', [{ field: local, message: 'forbidden name' }]);
    const childScope = inScope(child, scope);
    const key = local === 'interfaces' && isInterfaces(namespaceOf(childName, childScope)) ? 'ietf-interfaces:interfaces' : local;
    const value = valueOf(child, childName, childScope);
    if (!Object.hasOwn(out, key)) out[key] = LIST_NAMES.has(local) ? [value] : value;
    else if (Array.isArray(out[key])) (out[key] as unknown[]).push(value);
    else out[key] = [out[key], value];
  }
  return out;
}

/** The index of a 1-based line and column as the validator counts them. */
function offsetOf(text: string, line: number, col: number): number {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const end = text.indexOf('\n', start);
    if (end === -1) return -1;
    start = end + 1;
  }
  return start + col - 1;
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}
