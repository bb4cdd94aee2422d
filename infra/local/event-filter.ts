/**
 * Lambda's event filtering (an event source mapping's filterPatterns), for the local runtime's
 * event sources: an event reaches the function only if it matches one of the patterns. The
 * rule syntax is EventBridge's; no npm package evaluates it, so this covers the operators
 * Lambda documents for filtering and refuses the rest when the runtime starts, rather
 * than letting through locally what AWS would drop.
 */
export type EventFilter = (event: unknown) => boolean;

type Matcher = (value: unknown, present: boolean) => boolean;

const MAX_PATTERNS = 5;

/** One function for a mapping's patterns (none: every event passes). */
export function compileEventFilter(patterns: readonly unknown[] | undefined, where: string): EventFilter {
  if (patterns === undefined || patterns.length === 0) return () => true;
  if (patterns.length > MAX_PATTERNS) throw new Error(`${where}: ${patterns.length} filter patterns; Lambda takes at most ${MAX_PATTERNS}`);
  const compiled = patterns.map((pattern, i) => compileObject(typeof pattern === 'string' ? JSON.parse(pattern) : pattern, `${where}: filterPatterns[${i}]`));
  return (event) => compiled.some((match) => match(event, true));
}

function compileObject(pattern: unknown, where: string): Matcher {
  if (typeof pattern !== 'object' || pattern === null || Array.isArray(pattern)) throw new Error(`${where}: a pattern is an object of fields`);
  const fields = Object.entries(pattern).map(([name, rule]) => {
    const match = Array.isArray(rule) ? compileValues(rule, `${where}.${name}`) : compileObject(rule, `${where}.${name}`);
    return { name, match };
  });
  return (value, present) => {
    if (!present || typeof value !== 'object' || value === null) return false;
    const record = value as Record<string, unknown>;
    return fields.every(({ name, match }) => match(record[name], Object.hasOwn(record, name)));
  };
}

/** A field's rule: a list of alternatives; a list in the event matches if any element does. */
function compileValues(alternatives: readonly unknown[], where: string): Matcher {
  const tests = alternatives.map((alternative) => compileValue(alternative, where));
  const existence = tests.filter((t) => t.onAbsent !== undefined);
  return (value, present) => {
    if (!present) return existence.some((t) => t.onAbsent === true);
    const values = Array.isArray(value) ? value : [value];
    return tests.some((t) => t.onAbsent === undefined && values.some((v) => t.test(v))) || existence.some((t) => t.onAbsent === false);
  };
}

/** One alternative: `onAbsent` set only for `exists`, which is about presence rather than a value. */
function compileValue(rule: unknown, where: string): { test: (value: unknown) => boolean; onAbsent?: boolean } {
  if (rule === null || typeof rule !== 'object') return { test: (value) => value === rule };
  const entries = Object.entries(rule);
  const [operator, operand] = entries[0] ?? [];
  if (entries.length !== 1 || operator === undefined) throw new Error(`${where}: ${JSON.stringify(rule)} is not a filter operator`);
  switch (operator) {
    case 'prefix':
      return { test: textTest(operand, where, (value, text) => value.startsWith(text)) };
    case 'suffix':
      return { test: textTest(operand, where, (value, text) => value.endsWith(text)) };
    case 'equals-ignore-case':
      return { test: textTest(operand, where, (value, text) => value.toLowerCase() === text.toLowerCase()) };
    case 'anything-but': {
      const excluded = Array.isArray(operand) ? operand.map((o) => compileValue(o, where)) : [compileValue(operand, where)];
      return { test: (value) => !excluded.some((e) => e.test(value)) };
    }
    case 'numeric':
      return { test: numericTest(operand, where) };
    case 'exists':
      if (typeof operand !== 'boolean') throw new Error(`${where}: exists takes true or false`);
      return { test: () => operand, onAbsent: !operand };
    default:
      throw new Error(`${where}: the local runtime does not emulate the filter operator "${operator}"`);
  }
}

function textTest(operand: unknown, where: string, test: (value: string, text: string) => boolean): (value: unknown) => boolean {
  if (typeof operand !== 'string') throw new Error(`${where}: ${JSON.stringify(operand)} is not a string`);
  return (value) => typeof value === 'string' && test(value, operand);
}

const COMPARISONS: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
};

/** `{ numeric: ['>', 0, '<=', 5] }`: every comparison holds, on a JSON number only (a DynamoDB N arrives as a string and does not match). */
function numericTest(operand: unknown, where: string): (value: unknown) => boolean {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0) throw new Error(`${where}: numeric takes pairs of comparison and number`);
  const checks: { compare: (a: number, b: number) => boolean; bound: number }[] = [];
  for (let i = 0; i < operand.length; i += 2) {
    const compare = COMPARISONS[String(operand[i])];
    const bound = operand[i + 1];
    if (compare === undefined || typeof bound !== 'number') throw new Error(`${where}: ${JSON.stringify(operand)} is not a numeric rule`);
    checks.push({ compare, bound });
  }
  return (value) => typeof value === 'number' && checks.every(({ compare, bound }) => compare(value, bound));
}
