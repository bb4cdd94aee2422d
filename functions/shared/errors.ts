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
