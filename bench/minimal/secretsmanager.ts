// The least GET /live can be: the Secrets Manager client it reads the token secret with when
// deployed, imported, made on first use as token-secret.ts makes it, and not called here: the
// bench gives the live functions their secret in their environment, as the local runtime does.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

let client: SecretsManagerClient | undefined;
export const secretsClient = (): SecretsManagerClient => (client ??= new SecretsManagerClient({}));

export const handler = async () => ({ statusCode: 200 });
