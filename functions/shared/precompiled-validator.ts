/** What an Ajv validator reports of a value it refused. */
export interface ValidationError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/**
 * A validator generated ahead of time from a zod schema (infra/validators/generate.ts): a
 * type guard that leaves why it refused its last input in `errors`.
 */
export interface PrecompiledValidator<T> {
  (data: unknown): data is T;
  errors?: readonly ValidationError[] | null;
}

/** A refused value's first problem (validators stop there): the field's path, empty for the value itself, and what is wrong. */
export interface Problem {
  path: string[];
  keyword: string;
  message: string;
}

export function firstProblem(validator: PrecompiledValidator<unknown>): Problem {
  const error = validator.errors?.[0];
  if (error === undefined) return { path: [], keyword: 'unknown', message: 'is invalid' };
  // A JSON pointer: "/TCP/Flags", with "~1" for a "/" in a name and "~0" for a "~".
  const path = error.instancePath.split('/').slice(1).map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (error.keyword === 'additionalProperties') return { path: [...path, String(error.params.additionalProperty)], keyword: error.keyword, message: 'unknown field' };
  return { path, keyword: error.keyword, message: error.message ?? 'is invalid' };
}

/** A problem as a log or dead letter names it: "field TCP.Source_Port: must be <= 65535". */
export const describeProblem = ({ path, message }: Problem): string => (path.length === 0 ? message : `field ${path.join('.')}: ${message}`);
