import type { MiddlewareObj } from '@middy/core';
import httpSecurityHeaders from '@middy/http-security-headers';
import { HttpError } from './errors.ts';
import { errorResult, type HttpEvent, type HttpResult } from './http-response.ts';

export interface ErrorReporting {
  rejected(route: string, code: string): void;
  unexpected(error: unknown): void;
}

/**
 * The API's error shape for everything a handler throws: an HttpError keeps its status,
 * code and details; anything else is reported and answered 500 without internals.
 * Not @middy/http-error-handler: it answers an error's message as a plain-text body, not the
 * API's JSON error shape, and does nothing once a response is set, so it cannot follow this.
 */
export const apiErrors = (report: ErrorReporting): MiddlewareObj<HttpEvent, HttpResult> => ({
  onError: (request) => {
    const error = request.error;
    if (error instanceof HttpError) {
      report.rejected(request.event.routeKey, error.code);
      request.response = errorResult(error);
      return;
    }
    report.unexpected(error);
    request.response = errorResult(new HttpError(500, 'internal_error', 'internal error'));
  },
});

/** Security headers on every answer; an API sends no active content, so nothing may load. */
export const securityHeaders = () => httpSecurityHeaders({ contentSecurityPolicy: { 'default-src': "'none'" } });
