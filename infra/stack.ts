// What the deploy scripts and the end-to-end runner share about a deployed stage: its
// stack's outputs and its API key. The AWS SDK finds the endpoint (AWS, LocalStack or
// MiniStack) through AWS_ENDPOINT_URL, as osls does.
import { createHash, randomBytes } from 'node:crypto';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

export const SERVICE = 'netingest';

export function stackName(stage: string): string {
  return `${SERVICE}-${stage}`;
}

/** The stack's outputs by key (HttpApiUrl, HttpApiId, the queue URLs and table names). */
export async function stackOutputs(stage: string, env: NodeJS.ProcessEnv = process.env): Promise<Record<string, string>> {
  const client = new CloudFormationClient(clientConfig(env));
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName(stage) }));
    return Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  } finally {
    client.destroy();
  }
}

/**
 * Stores an API key for the stage as the authorizer reads it: the SSM SecureString
 * /netingest/<stage>/api-keys holding `<sha256 hex>=ingest+read`. Returns the key (a fresh
 * random one unless given).
 */
export async function storeApiKey(stage: string, key = randomBytes(18).toString('base64url'), env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const hash = createHash('sha256').update(key).digest('hex');
  const client = new SSMClient(clientConfig(env));
  try {
    await client.send(new PutParameterCommand({ Name: `/${SERVICE}/${stage}/api-keys`, Type: 'SecureString', Value: `${hash}=ingest+read`, Overwrite: true }));
  } finally {
    client.destroy();
  }
  return key;
}

/** SDK client settings from an environment other than this process's own. */
function clientConfig(env: NodeJS.ProcessEnv) {
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) }
      : undefined;
  return {
    ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
    ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
    ...(credentials ? { credentials } : {}),
  };
}
