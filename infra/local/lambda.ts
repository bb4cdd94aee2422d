import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { concurrentInvocations, invocationContext } from './invoke-store.ts';
import type { FunctionConfig } from './service-config.ts';

export type Handler = (event: unknown, context: Context) => Promise<unknown>;

export interface LocalFunction {
  config: FunctionConfig;
  deployedName: string;
  invoke(event: unknown): Promise<unknown>;
}

export class FunctionTimeoutError extends Error {
  constructor(name: string, seconds: number) {
    super(`${name} timed out after ${seconds} s`);
    this.name = 'FunctionTimeoutError';
  }
}

/** Loads the handler module named in serverless.yml (the same file the bundler builds). */
export async function loadFunction(root: string, config: FunctionConfig, deployedName: string, region: string): Promise<LocalFunction> {
  const dot = config.handler.lastIndexOf('.');
  const modulePath = resolve(root, `${config.handler.slice(0, dot)}.ts`);
  const exportName = config.handler.slice(dot + 1);
  // Before the module: one that logs as it loads finds the store AWS_LAMBDA_MAX_CONCURRENCY announces.
  const store = concurrentInvocations();
  const module = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
  const handler = module[exportName];
  if (typeof handler !== 'function') throw new Error(`${config.name}: ${modulePath} exports no function "${exportName}"`);

  return {
    config,
    deployedName,
    async invoke(event) {
      const deadline = Date.now() + config.timeout * 1000;
      const context = lambdaContext(config, deployedName, region, deadline);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new FunctionTimeoutError(config.name, config.timeout)), config.timeout * 1000);
      });
      try {
        return await Promise.race([store.run(invocationContext(context.awsRequestId, config.name), () => (handler as Handler)(event, context)), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function lambdaContext(config: FunctionConfig, name: string, region: string, deadline: number): Context {
  const unsupported = () => {
    throw new Error('callback-style completion is not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${name}`,
    memoryLimitInMB: String(config.memorySize),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: `local/${randomUUID()}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
