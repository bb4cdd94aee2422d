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
 * The first part of `value` a table could not store, in document order, with its path. The
 * walk recurses, but never deeper than MAX_NESTING + 1 calls: input nested deeper stops
 * there. Nothing is allocated on the way down: a walk that kept a frame per value took twice
 * as long (500 packets: 1.0 ms against 0.5, beside 1.9 ms to parse their JSON).
 */
export function unstorablePart(value: unknown): Problem | undefined {
  return problemWithin(value, 0);
}

function problemWithin(node: unknown, depth: number): Problem | undefined {
  if (typeof node !== 'object' || node === null) {
    const message = valueProblem(node);
    return message === undefined ? undefined : { path: [], message };
  }
  if (depth >= MAX_NESTING) return { path: [], message: `nests deeper than ${MAX_NESTING} levels` };
  if (Array.isArray(node)) {
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
    const problem = problemWithin(members[name], depth + 1);
    if (problem !== undefined) return within(name, problem);
  }
  return undefined;
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
  const problem = unstorablePart(value);
  if (problem === undefined) return;
  const fieldOf = (path: Path) => path.join('.') || undefined;
  const [first, ...rest] = problem.path;
  if (records && typeof first === 'number') throw invalidRecords([{ record: first, field: fieldOf(rest), message: problem.message }]);
  throw invalidRecords([{ field: fieldOf(problem.path), message: problem.message }], { within: what });
}
