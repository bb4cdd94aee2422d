import { invalidRecords } from './errors.ts';

/**
 * What DynamoDB can hold, checked at ingest so that nothing accepted fails in a writer.
 * Free-form parts of a record (extra packet fields, YANG payloads) go to the table as
 * maps; each limit below is one DynamoDB (or its SDK) enforces.
 */

/** DynamoDB stores at most 32 levels of nesting; records nest far less than this. */
export const MAX_NESTING = 16;
const MAX_NAME_BYTES = 65_535;
const MAX_MAGNITUDE = 1e126; // exclusive
const MAX_BIG_MAGNITUDE = 10n ** 126n; // exclusive
const MIN_MAGNITUDE = 1e-130;
const MAX_DIGITS = 38;
/**
 * The most a record may weigh as DynamoDB sizes an item (at most 400 KB), less what a writer
 * adds beside it (keys, ids, times: a few hundred bytes). Every item stored from a record
 * holds at most the record itself: a packet's layer, a notification, one of its interfaces.
 */
export const MAX_RECORD_ITEM_BYTES = 400 * 1024 - 4096;

type Path = (string | number)[];

function valueProblem(value: unknown): string | undefined {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value) || Math.abs(value) >= MAX_MAGNITUDE) return 'is a number beyond the range a table holds (magnitude below 1e126)';
      if (value !== 0 && Math.abs(value) < MIN_MAGNITUDE) return 'is a number too small for a table to hold (magnitude at least 1e-130)';
      return undefined;
    case 'bigint':
      if (value >= MAX_BIG_MAGNITUDE || -value >= MAX_BIG_MAGNITUDE) return 'is a number beyond the range a table holds (magnitude below 1e126)';
      return value.toString().replace(/^-/, '').replace(/0+$/, '').length > MAX_DIGITS ? `has more than ${MAX_DIGITS} significant digits` : undefined;
    case 'string':
      return value.isWellFormed() ? undefined : 'is not well-formed Unicode (a lone surrogate)';
    default:
      return undefined;
  }
}

// A UTF-16 code unit is at most 3 bytes of UTF-8, so only a longer name can pass the limit.
const MAX_NAME_UNITS_UNMEASURED = Math.floor(MAX_NAME_BYTES / 3);

function nameProblem(name: string): string | undefined {
  if (name === '') return 'is an empty member name';
  if (!name.isWellFormed()) return 'is a member name that is not well-formed Unicode';
  if (name.length > MAX_NAME_UNITS_UNMEASURED && Buffer.byteLength(name) > MAX_NAME_BYTES) return `is a member name longer than ${MAX_NAME_BYTES} bytes`;
  return undefined;
}

type Problem = { path: Path; message: string };

/**
 * The first part of `value` a table could not store, in document order, with its path: with
 * `records`, each element of an array is a record of its own (the path starts with its
 * index), else `value` is one. The walk recurses, but never deeper than MAX_NESTING + 1
 * calls: input nested deeper stops there. Nothing is allocated on the way down: a walk that
 * kept a frame per value took twice as long (500 packets: 1.0 ms against 0.5, beside 1.9 ms
 * to parse their JSON).
 */
export function unstorablePart(value: unknown, records = false): Problem | undefined {
  if (!records || !Array.isArray(value)) return recordProblem(value, 0);
  for (let i = 0; i < value.length; i++) {
    const problem = recordProblem(value[i], 1);
    if (problem !== undefined) return within(i, problem);
  }
  return undefined;
}

/**
 * What the walk below has seen of a record, in bytes, at least what DynamoDB counts (a
 * UTF-16 unit is at most 3 bytes of UTF-8, a number at most 21): a module variable, so that
 * the walk allocates nothing. Only a record this bound puts past the limit is measured.
 */
let weightBound = 0;

function recordProblem(record: unknown, depth: number): Problem | undefined {
  weightBound = 0;
  const problem = problemWithin(record, depth);
  if (problem !== undefined || weightBound <= MAX_RECORD_ITEM_BYTES) return problem;
  const bytes = storedBytes(record);
  if (bytes <= MAX_RECORD_ITEM_BYTES) return undefined;
  const kb = (n: number) => `${Math.ceil(n / 1024)} KB`;
  return { path: [], message: `is ${kb(bytes)} as a table item (DynamoDB's sizes: 3 bytes a list or map, 1 an element), more than the ${kb(MAX_RECORD_ITEM_BYTES)} a record can be` };
}

function problemWithin(node: unknown, depth: number): Problem | undefined {
  if (typeof node !== 'object' || node === null) {
    weightBound += typeof node === 'string' ? 3 * node.length : 21;
    const message = valueProblem(node);
    return message === undefined ? undefined : { path: [], message };
  }
  if (depth >= MAX_NESTING) return { path: [], message: `nests deeper than ${MAX_NESTING} levels` };
  weightBound += 3;
  if (Array.isArray(node)) {
    weightBound += node.length;
    for (let i = 0; i < node.length; i++) {
      const problem = problemWithin(node[i], depth + 1);
      if (problem !== undefined) return within(i, problem);
    }
    return undefined;
  }
  const members = node as Record<string, unknown>;
  for (const name of Object.keys(members)) {
    const message = nameProblem(name);
    if (message !== undefined) return { path: [name], message };
    weightBound += 1 + 3 * name.length;
    const problem = problemWithin(members[name], depth + 1);
    if (problem !== undefined) return within(name, problem);
  }
  return undefined;
}

/**
 * A value's size as DynamoDB counts it in an item: UTF-8 bytes of a string or member name,
 * 1 byte per two significant digits of a number plus 1, 1 for a boolean or null, and 3 for
 * a list or map plus 1 for each of its elements.
 */
export function storedBytes(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return Buffer.byteLength(value);
    case 'number':
    case 'bigint':
      return numberBytes(String(value));
    case 'boolean':
      return 1;
    case 'object': {
      if (value === null) return 1;
      let bytes = 3;
      if (Array.isArray(value)) for (const element of value) bytes += 1 + storedBytes(element);
      else for (const [name, member] of Object.entries(value)) if (member !== undefined) bytes += 1 + Buffer.byteLength(name) + storedBytes(member);
      return bytes;
    }
    default:
      return 0;
  }
}

function numberBytes(text: string): number {
  const digits = (text.replace(/^-/, '').split(/e/i)[0] ?? '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(digits.length / 2) + 1;
}

function within(step: string | number, problem: Problem): Problem {
  problem.path.unshift(step);
  return problem;
}

/**
 * Refuses with a 400 naming the record and field what a table could not store. In a JSON
 * array body (`records`), the first path step is the record's index; otherwise the field is
 * named within `what`.
 */
export function assertStorable(value: unknown, what = 'request body', records = false): void {
  const problem = unstorablePart(value, records);
  if (problem === undefined) return;
  const fieldOf = (path: Path) => path.join('.') || undefined;
  const [first, ...rest] = problem.path;
  if (records && typeof first === 'number') throw invalidRecords([{ record: first, field: fieldOf(rest), message: problem.message }]);
  throw invalidRecords([{ field: fieldOf(problem.path), message: problem.message }], { within: what });
}
