// The least the authorizer can be: the SSM client it reads API keys with when deployed,
// imported, made on first use as the authorizer makes it, and not called here: the bench gives
// the authorizer its keys in its environment, as the local runtime does.
import { SSMClient } from '@aws-sdk/client-ssm';

let ssm: SSMClient | undefined;
export const ssmClient = (): SSMClient => (ssm ??= new SSMClient({}));

export const handler = async () => ({ isAuthorized: false });
