import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { loadServiceConfig } from '../../infra/local/service-config.ts';
import { currentDocument } from '../../infra/openapi/write.ts';
import { startTestRuntime } from '../helpers/runtime.ts';

const committed = JSON.parse(readFileSync('openapi.json', 'utf8')) as { paths: Record<string, Record<string, unknown>> };

describe('the OpenAPI 3.1 contract', () => {
  it('is what the schemas and serverless.yml give today (run `npm run openapi` after changing either)', () => {
    expect(committed).toEqual(currentDocument());
  });

  it('describes every route serverless.yml declares', () => {
    const routes = loadServiceConfig('serverless.yml').functions.flatMap((f) => f.httpApi);
    expect(routes.length).toBeGreaterThan(15);
    for (const route of routes) expect(committed.paths[route.path]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined();
  });

  describe('served', () => {
    let runtime: LocalRuntime;
    beforeAll(async () => {
      runtime = await startTestRuntime({ sqsEventSources: false });
    });
    afterAll(async () => runtime?.stop());

    it('at GET /openapi.json without a key', async () => {
      const response = await fetch(`${runtime.url}/openapi.json`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toEqual(committed);
    });
  });
});
