/** One entry of an error's details: which record and which field, when known. */
export interface ErrorDetail {
  record?: number;
  line?: number;
  field?: string;
  message: string;
}

/** An error that maps to an HTTP status and the API's JSON error shape. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[];

  constructor(status: number, code: string, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export const badRequest = (message: string, details: ErrorDetail[] = []) =>
  new HttpError(400, 'invalid_input', message, details);
export const notFound = (message: string) => new HttpError(404, 'not_found', message);
export const payloadTooLarge = (message: string) => new HttpError(413, 'payload_too_large', message);
export const unsupportedMediaType = (message: string) => new HttpError(415, 'unsupported_media_type', message);
export const serviceUnavailable = (message: string) => new HttpError(503, 'service_unavailable', message);

/** The most details one 400 lists; the message names the first. */
export const MAX_ERROR_DETAILS = 20;

/**
 * How the first problem is named in the message: by its record (0-based index in a JSON
 * array), by its line (1-based, text bodies), by its field path alone, or within a whole
 * named in words (`{ within: 'the notification' }`) when the input has no records.
 */
export type ProblemPosition = 'record' | 'line' | 'field' | { within: string };

/**
 * The 400 for input with problems: the first detail becomes the message
 * (`record 2 field TCP.Source_Port: ...`, `line 7: ...`, `the notification field a.b: ...`,
 * or `<field> <message>`) and up to MAX_ERROR_DETAILS details are listed. `details` must
 * not be empty.
 */
export function invalidRecords(details: readonly ErrorDetail[], by: ProblemPosition = 'record'): HttpError {
  return badRequest(problemMessage(details[0] as ErrorDetail, by), details.slice(0, MAX_ERROR_DETAILS));
}

function problemMessage(first: ErrorDetail, by: ProblemPosition): string {
  if (by === 'field') return first.field === undefined ? first.message : `${first.field} ${first.message}`;
  const position = by === 'line' ? first.line : by === 'record' ? first.record : undefined;
  const whole = typeof by === 'object' ? by.within : position === undefined ? by : `${by} ${position}`;
  return `${whole}${first.field ? ` field ${first.field}` : ''}: ${first.message}`;
}
