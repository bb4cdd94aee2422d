/**
 * What this process asked of DynamoDB and SQS, for the benchmark's cost per record: the
 * write and read units DynamoDB reports (ReturnConsumedCapacity TOTAL on every call) and
 * the requests made. A TransactWriteItems is counted as DynamoDB bills it, 2 units per
 * action (each item here is under 1 KB), not as reported: DynamoDB Local reports 2 units
 * per table whatever the transaction wrote. `transactionWriteUnits` is that part of
 * `writeUnits`. Off unless NETINGEST_METER_USAGE=true, so that deployed functions
 * neither ask for capacity figures nor count.
 */
export const meteredUsage = {
  dynamodbRequests: 0,
  writeUnits: 0,
  readUnits: 0,
  /** readUnits by the function whose invocation read them ('' outside one), so that a client's reads tell apart from a writer's. */
  readUnitsByFunction: {} as Record<string, number>,
  sqsRequests: 0,
  transactionWriteUnits: 0,
};

/** Where the local runtime keeps the invoked function's name in an invocation's context (infra/local/lambda.ts). */
export const FUNCTION_NAME_KEY = 'netingest:functionName';

/** The function whose invocation is running, as the local runtime's InvokeStore says. */
function invokedFunction(): string {
  const store = (globalThis as { awslambda?: { InvokeStore?: { get?: (key: string) => unknown } } }).awslambda?.InvokeStore;
  const name = store?.get?.(FUNCTION_NAME_KEY);
  return typeof name === 'string' ? name : '';
}

function addReadUnits(units: number): void {
  if (units === 0) return;
  meteredUsage.readUnits += units;
  const fn = invokedFunction();
  meteredUsage.readUnitsByFunction[fn] = (meteredUsage.readUnitsByFunction[fn] ?? 0) + units;
}

export const meteringOn = (): boolean => process.env.NETINGEST_METER_USAGE === 'true';

interface Capacity {
  CapacityUnits?: number;
  WriteCapacityUnits?: number;
  ReadCapacityUnits?: number;
}

// The smallest shape of an SDK client's middleware stack that the meters need: typed here
// rather than through @smithy/types, which the project does not depend on directly.
type Next = (args: { input: object }) => Promise<{ output: object }>;
export type ClientMiddleware = (next: Next, context: { commandName?: string }) => Next;
export interface MeteredClient {
  middlewareStack: { add(middleware: ClientMiddleware, options: { step: 'initialize'; name: string }): void };
}

/** Counts DynamoDB requests and the units each reports consumed. */
export function meterDynamoDb(client: MeteredClient): void {
  if (!meteringOn()) return;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      // Unknown to a command (DescribeTable), the member is dropped by its serializer.
      const input = args.input as { ReturnConsumedCapacity?: string };
      input.ReturnConsumedCapacity ??= 'TOTAL';
      meteredUsage.dynamodbRequests++;
      let result: Awaited<ReturnType<Next>>;
      try {
        result = await next(args);
      } catch (error) {
        // A write whose condition fails is billed as a write (1 unit per KB).
        if ((error as Error).name === 'ConditionalCheckFailedException') meteredUsage.writeUnits += 1;
        throw error;
      }
      const consumed = (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
      if (/^TransactWrite/.test(context.commandName ?? '')) {
        const units = 2 * ((args.input as { TransactItems?: unknown[] }).TransactItems?.length ?? 0);
        meteredUsage.writeUnits += units;
        meteredUsage.transactionWriteUnits += units;
        return result;
      }
      for (const c of consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed]) {
        // DynamoDB reports CapacityUnits alone for some calls; a write call's units are write units.
        const write = c.WriteCapacityUnits ?? 0;
        const read = c.ReadCapacityUnits ?? 0;
        meteredUsage.writeUnits += write;
        addReadUnits(read);
        if (write === 0 && read === 0 && c.CapacityUnits !== undefined) {
          if (READ_COMMAND.test(context.commandName ?? '')) addReadUnits(c.CapacityUnits);
          else meteredUsage.writeUnits += c.CapacityUnits;
        }
      }
      return result;
    },
    { step: 'initialize', name: 'netingestUsageMeter' },
  );
}

/** Counts SQS requests (SQS bills each, per 64 KB of payload). */
export function meterSqs(client: MeteredClient): void {
  if (!meteringOn()) return;
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      meteredUsage.sqsRequests++;
      return result;
    },
    { step: 'initialize', name: 'netingestUsageMeter' },
  );
}

// GetItemCommand, or the document client's GetCommand; BatchGet, Query, Scan, TransactGet alike.
const READ_COMMAND = /^(Get|BatchGet|Query|Scan|TransactGet)/;
