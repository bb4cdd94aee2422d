import secureJson from 'secure-json-parse';

/**
 * JSON with exact integers. YANG counter64 and byte sums go up to 2^64 - 1, past what a
 * JavaScript number holds exactly (2^53): integers beyond it are parsed as bigint, and
 * bigints are written back as plain JSON integers.
 */

// JSON.parse's reviver gets the source text (Node 21+); TypeScript's lib does not know it yet.
type Reviver = (key: string, value: unknown, context?: { source?: string }) => unknown;
const JSON_WITH_RAW = JSON as JSON & { rawJSON(text: string): unknown };

const exactIntegers: Reviver = (_key, value, context) =>
  typeof value === 'number' && !Number.isSafeInteger(value) && context?.source !== undefined && /^-?\d+$/.test(context.source)
    ? BigInt(context.source)
    : value;

// The reviver costs a call per value; only a text with a 16-digit run can hold an unsafe integer.
const MAY_HOLD_BIG_INTEGER = /\d{16}/;

/** JSON.parse with big integers kept exact as bigint. */
export function parseJson(text: string): unknown {
  return MAY_HOLD_BIG_INTEGER.test(text) ? JSON.parse(text, exactIntegers as Parameters<typeof JSON.parse>[1]) : JSON.parse(text);
}

/** secure-json-parse (prototype keys are errors) with big integers kept exact. */
export function parseUntrustedJson(text: string): unknown {
  const reviver = MAY_HOLD_BIG_INTEGER.test(text) ? (exactIntegers as Parameters<typeof JSON.parse>[1]) : undefined;
  return secureJson.parse(text, reviver, { protoAction: 'error', constructorAction: 'error' });
}

const bigintAsNumber = (_key: string, value: unknown) => (typeof value === 'bigint' ? JSON_WITH_RAW.rawJSON(value.toString()) : value);

/** JSON.stringify that writes bigints as JSON integers. */
export function stringifyJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    // A replacer slows every value down; only values holding a bigint need it.
    if (!(error instanceof TypeError)) throw error;
    return JSON.stringify(value, bigintAsNumber);
  }
}

/** What DynamoDB numbers become when read: a number where exact, else a bigint or (decimals) a number. */
export function wrapNumber(text: string): number | bigint {
  const value = Number(text);
  return Number.isSafeInteger(value) || !/^-?\d+$/.test(text) ? value : BigInt(text);
}
