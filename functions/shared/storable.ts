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
const MIN_MAGNITUDE = 1e-130;
const MAX_DIGITS = 38;

type Path = (string | number)[];

function valueProblem(value: unknown): string | undefined {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value) || Math.abs(value) >= MAX_MAGNITUDE) return 'is a number beyond the range a table holds (magnitude below 1e126)';
      if (value !== 0 && Math.abs(value) < MIN_MAGNITUDE) return 'is a number too small for a table to hold (magnitude at least 1e-130)';
      return undefined;
    case 'bigint':
      return value.toString().replace(/^-/, '').replace(/0+$/, '').length > MAX_DIGITS ? `has more than ${MAX_DIGITS} significant digits` : undefined;
    case 'string':
      return value.isWellFormed() ? undefined : 'is not well-formed Unicode (a lone surrogate)';
    default:
      return undefined;
  }
}

function nameProblem(name: string): string | undefined {
  if (name === '') return 'is an empty member name';
  if (!name.isWellFormed()) return 'is a member name that is not well-formed Unicode';
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) return `is a member name longer than ${MAX_NAME_BYTES} bytes`;
  return undefined;
}

type Entry = { node: unknown; depth: number; key?: string | number; parent?: Entry };

function pathOf(entry: Entry, last?: string): Path {
  const path: Path = last === undefined ? [] : [last];
  for (let e: Entry | undefined = entry; e?.key !== undefined; e = e.parent) path.unshift(e.key);
  return path;
}

/** The first part of `value` a table could not store, with its path; checked without recursion. */
export function unstorablePart(value: unknown): { path: Path; message: string } | undefined {
  const stack: Entry[] = [{ node: value, depth: 0 }];
  while (stack.length > 0) {
    const entry = stack.pop() as Entry;
    const { node, depth } = entry;
    if (typeof node !== 'object' || node === null) {
      const message = valueProblem(node);
      if (message !== undefined) return { path: pathOf(entry), message };
      continue;
    }
    if (depth >= MAX_NESTING) return { path: pathOf(entry), message: `nests deeper than ${MAX_NESTING} levels` };
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push({ node: node[i], depth: depth + 1, key: i, parent: entry });
      continue;
    }
    for (const [name, child] of Object.entries(node)) {
      const message = nameProblem(name);
      if (message !== undefined) return { path: pathOf(entry, name), message };
      stack.push({ node: child, depth: depth + 1, key: name, parent: entry });
    }
  }
  return undefined;
}

/**
 * Refuses with a 400 naming the record and field what a table could not store. In a JSON
 * array body (`records`), the first path step is the record's index; otherwise the field is
 * named within `what`.
 */
export function assertStorable(value: unknown, what = 'request body', records = false): void {
  const problem = unstorablePart(value);
  if (problem === undefined) return;
  const fieldOf = (path: Path) => path.join('.') || undefined;
  const [first, ...rest] = problem.path;
  if (records && typeof first === 'number') throw invalidRecords([{ record: first, field: fieldOf(rest), message: problem.message }]);
  throw invalidRecords([{ field: fieldOf(problem.path), message: problem.message }], { within: what });
}
