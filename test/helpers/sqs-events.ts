import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/** An SQS record as Lambda delivers it; a redelivery is the same body under a new message id. */
export function sqsRecord(body: string, receiveCount = 1): SQSRecord {
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(Date.now()),
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:test',
    awsRegion: 'us-east-1',
  };
}

export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** A Lambda context as the runtime gives one, for calling a handler directly. */
export function lambdaContext(functionName = 'test-function'): Context {
  const unsupported = () => {
    throw new Error('callback-style completion is not supported');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: randomUUID(),
    getRemainingTimeInMillis: () => 30_000,
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** A writer handler called as Lambda calls it, with a fresh context per invocation. */
export function direct(handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return (event) => handler(event, lambdaContext());
}
