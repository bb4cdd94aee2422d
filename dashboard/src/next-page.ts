/**
 * The next page's path (with its query) from a Link header's rel="next", resolved against
 * the path of the request that answered it, as RFC 8288 has a client do; undefined on the
 * last page. The dashboard's, and the tests' and benchmark's that page through the API.
 */
export function nextPage(link: string | null | undefined, requestPath: string): string | undefined {
  const target = /<([^>]+)>;\s*rel="next"/.exec(link ?? '')?.[1];
  if (target === undefined) return undefined;
  const url = new URL(target, new URL(requestPath, 'http://api.invalid'));
  return `${url.pathname}${url.search}`;
}
