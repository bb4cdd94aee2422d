// The HTTP API's routes: route keys with {parameters}, matched most specific first.
import type { LocalFunction } from './lambda.ts';
import type { LocalAuthorizer } from './gateway-authorizer.ts';

export interface Route {
  method: string;
  path: string;
  routeKey: string;
  segments: string[];
  fn: LocalFunction;
  authorizer?: LocalAuthorizer;
}

export function buildRoutes(functions: LocalFunction[], authorizers: Map<string, LocalAuthorizer> = new Map()): Route[] {
  const routes = functions.flatMap((fn) =>
    fn.config.httpApi.map((event) => {
      const method = event.method === '*' || event.method === 'ANY' ? 'ANY' : event.method;
      const routeKey = event.path === '*' ? '$default' : `${method} ${event.path}`;
      const authorizer = event.authorizer === undefined ? undefined : authorizers.get(event.authorizer);
      if (event.authorizer !== undefined && authorizer === undefined) {
        throw new Error(`${fn.config.name}: route ${routeKey} names authorizer "${event.authorizer}", which provider.httpApi.authorizers does not declare`);
      }
      return { method, path: event.path, routeKey, segments: event.path.split('/').filter(Boolean), fn, authorizer };
    }),
  );
  // API Gateway prefers the most specific route: static segments over {params}, over {greedy+}.
  return routes.sort((a, b) => specificity(b) - specificity(a));
}

function specificity(route: Route): number {
  if (route.routeKey === '$default') return -1;
  return route.segments.reduce((score, s) => score * 3 + (s.endsWith('+}') ? 0 : s.startsWith('{') ? 1 : 2), 1) + route.segments.length * 1e9;
}

export function matchRoute(routes: Route[], method: string, path: string): { route: Route; pathParameters: Record<string, string> } | undefined {
  const parts = path.split('/').filter(Boolean);
  for (const route of routes) {
    if (route.method !== 'ANY' && route.method !== method) continue;
    if (route.routeKey === '$default') return { route, pathParameters: {} };
    const params = matchSegments(route.segments, parts);
    if (params !== undefined) return { route, pathParameters: params };
  }
  return undefined;
}

function matchSegments(segments: string[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    if (segment.startsWith('{') && segment.endsWith('+}')) {
      if (i >= parts.length) return undefined;
      params[segment.slice(1, -2)] = parts.slice(i).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (segment.startsWith('{')) params[segment.slice(1, -1)] = part;
    else if (segment !== part) return undefined;
  }
  return segments.length === parts.length ? params : undefined;
}
