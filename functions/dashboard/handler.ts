import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { join } from 'node:path';
import { apiErrors } from '../shared/api-errors.ts';
import type { HttpEvent, HttpResult } from '../shared/http-response.ts';
import { restEventsAsHttpApi } from '../shared/rest-event.ts';
import { dashboardAsset, isText } from './assets.ts';

// Deployed, the build ships in the function's package (serverless.yml, package.patterns)
// under the task root; locally the runtime runs from the project folder.
const root = () => process.env.DASHBOARD_DIR ?? join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), 'dashboard', 'dist');

/**
 * GET /dashboard (the page) and GET /dashboard/{file+} (its files): the dashboard served by
 * the HTTP API itself, public like the page of any site; its data needs an API key. Its own
 * chain: the API's security headers would forbid the page its scripts.
 */
export const handler = middy<HttpEvent, HttpResult, Error, Context>()
  .use(restEventsAsHttpApi())
  .use(
    apiErrors({
      rejected: () => undefined,
      unexpected: (error) => console.error(JSON.stringify({ level: 'ERROR', message: 'unhandled error', error: String(error) })),
    }),
  )
  .handler(async (event): Promise<HttpResult> => {
    const file = event.pathParameters?.file ?? '';
    // The page links its files from /dashboard (dashboard/assets/...); anywhere else they would not be found.
    if (isPageElsewhere(file, event.rawPath)) {
      const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
      return { statusCode: 302, headers: { location: `../dashboard${query}`, 'cache-control': 'no-cache' }, body: '' };
    }
    const answer = dashboardAsset(root(), file);
    const text = isText(answer.headers['content-type'] ?? '');
    return {
      statusCode: answer.status,
      headers: answer.headers,
      body: text ? answer.body.toString('utf8') : answer.body.toString('base64'),
      isBase64Encoded: !text,
    };
  });

/** The page asked for by another path than /dashboard: /dashboard/index.html (however encoded) or /dashboard/. */
function isPageElsewhere(file: string, rawPath: string): boolean {
  if (file === '') return rawPath.endsWith('/');
  try {
    return decodeURIComponent(file) === 'index.html';
  } catch {
    return false;
  }
}
