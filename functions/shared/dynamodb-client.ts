import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { wrapNumber } from './json.ts';
import { meterDynamoDb } from './usage-meter.ts';
import { withoutSdkLogging } from './sdk-logging.ts';

// Created on first use, not at import: endpoints and credentials come from the
// environment (AWS_ENDPOINT_URL_*), which the local runtime sets before the first call.
// The SQS client lives in its own module (sqs-client.ts) so that functions that only
// write to DynamoDB, or only queue, bundle one SDK client rather than both.
let documents: DynamoDBDocumentClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  if (documents !== undefined) return documents;
  const client = withoutSdkLogging(new DynamoDBClient({}));
  meterDynamoDb(client);
  documents = DynamoDBDocumentClient.from(client, {
    // Free-form payloads may have a member named `constructor`, and decimals beyond 2^53
    // (ingest checks they are within DynamoDB's range): stored as they are.
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true, allowImpreciseNumbers: true },
    // Sums beyond 2^53 come back exact, as bigint.
    unmarshallOptions: { wrapNumbers: wrapNumber },
  });
  return documents;
}
