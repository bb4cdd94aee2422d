// `npm run openapi`: writes openapi.json from serverless.yml's routes and the zod schemas.
import { readFileSync, writeFileSync } from 'node:fs';
import { loadServiceConfig } from '../local/service-config.ts';
import { openApiDocument } from './spec.ts';

export function currentDocument(): Record<string, unknown> {
  const routes = loadServiceConfig('serverless.yml').functions.flatMap((f) => f.httpApi);
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  return openApiDocument(routes, version);
}

if (import.meta.main) {
  writeFileSync('openapi.json', `${JSON.stringify(currentDocument(), null, 2)}\n`);
  console.log('wrote openapi.json');
}
