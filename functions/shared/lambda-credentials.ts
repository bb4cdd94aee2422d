import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Stands in for the SDK's default credential chain in deployed bundles (custom.esbuild.alias in
 * serverless.yml). Lambda hands a function its role's credentials in the environment, so the
 * chain's SSO, profile-file, web-identity and login providers would only add about 100 KB to
 * every bundle, and their loading to every cold start.
 */
export function defaultProvider(init: Parameters<typeof fromEnv>[0] = {}): ReturnType<typeof fromEnv> {
  return fromEnv(init);
}
