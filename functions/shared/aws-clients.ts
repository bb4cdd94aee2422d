import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

// Created on first use, not at import: endpoints and credentials come from the
// environment (AWS_ENDPOINT_URL_*), which the local runtime sets before the first call.
// The SQS client lives in its own module (sqs-client.ts) so that functions that only
// write to DynamoDB, or only queue, bundle one SDK client rather than both.
let documents: DynamoDBDocumentClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  documents ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documents;
}
