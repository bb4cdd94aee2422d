import { AsyncLocalStorage } from 'node:async_hooks';
import { InvokeStoreBase } from '@aws/lambda-invoke-store';
import { FUNCTION_NAME_KEY } from '../../functions/shared/usage-meter.ts';

type InvocationContext = Record<string | symbol, unknown>;

/**
 * The InvokeStore that Lambda's runtime gives Managed Instances, where invocations run at
 * once in one process: a context per invocation, kept across its awaits. Written here
 * because the library hands out one store per process, and the SDK makes a
 * one-invocation-at-a-time store on its first request, before any function is loaded.
 */
class ConcurrentInvokeStore extends InvokeStoreBase {
  readonly #invocations = new AsyncLocalStorage<InvocationContext>();

  getContext(): InvocationContext | undefined {
    return this.#invocations.getStore();
  }

  hasContext(): boolean {
    return this.#invocations.getStore() !== undefined;
  }

  get<T = unknown>(key: string | symbol): T | undefined {
    return this.#invocations.getStore()?.[key] as T | undefined;
  }

  set<T = unknown>(key: string | symbol, value: T): void {
    if (this.isProtectedKey(key)) throw new Error(`Cannot modify protected Lambda context field: ${String(key)}`);
    const context = this.#invocations.getStore();
    if (context === undefined) throw new Error('No context available');
    context[key] = value;
  }

  run<T>(context: InvocationContext, fn: () => T): T {
    return this.#invocations.run(context, fn);
  }
}

const store = new ConcurrentInvokeStore();

/**
 * Every function runs in this one process, many invocations at once, as a Managed Instance
 * runs one function's: each invocation runs in a context of its own, and
 * AWS_LAMBDA_MAX_CONCURRENCY tells Powertools to keep its log context, keys and metrics
 * there. Without it, a log line carried the function name, request id and keys of
 * whichever invocation had started last. Installed where Powertools looks for it.
 */
export function concurrentInvocations(): InvokeStoreBase {
  const global = globalThis as { awslambda?: { InvokeStore?: InvokeStoreBase } };
  global.awslambda ??= {};
  global.awslambda.InvokeStore = store;
  // Set only once the store is in place: Powertools throws when the variable is set without one.
  process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '1000';
  return store;
}

/**
 * The environment for a process that runs a function as a default sandbox does, one
 * invocation at a time (the benchmark's cold starts, its writer under memory limits):
 * without AWS_LAMBDA_MAX_CONCURRENCY, which a process of its own has no store for.
 */
export function oneAtATimeEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { AWS_LAMBDA_MAX_CONCURRENCY: _concurrency, ...rest } = env;
  return rest;
}

/**
 * An invocation's context: its request id, as the runtime sets it, and the function's name,
 * which tells the benchmark's usage meter whose reads it counts (one process runs them all).
 */
export const invocationContext = (requestId: string, functionName: string): InvocationContext => ({
  [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: requestId,
  [FUNCTION_NAME_KEY]: functionName,
});
