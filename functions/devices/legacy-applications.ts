import { ScanCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/dynamodb-client.ts';
import { cancellationReasons } from '../shared/exactly-once.ts';
import { countAction } from './applications.ts';
import { APPLICATION_COUNTED, APPLICATION_OF, APPLICATION_PREFIX, applicationCountKey, macOfDevicePartition } from './storage.ts';

type Item = Record<string, unknown>;

/**
 * Counts and indexes the application items a stack stored before applications were
 * counted (no `counted` attribute), each exactly once: one transaction marks the item
 * counted, sets the device it is indexed under (APPLICATION_OF) and adds one to its
 * device's count, on condition that it is not counted yet. An item a writer created since
 * is counted already; one a writer updated since is indexed but not counted, and is counted
 * here. Run twice, the second run finds nothing. Returns how many items it counted.
 */
export async function countLegacyApplications(devicesTable: string): Promise<number> {
  let counted = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new ScanCommand({
        TableName: devicesTable,
        FilterExpression: 'begins_with(sk, :app) AND attribute_not_exists(#counted)',
        ExpressionAttributeNames: { '#counted': APPLICATION_COUNTED },
        ExpressionAttributeValues: { ':app': APPLICATION_PREFIX },
        ProjectionExpression: 'pk, sk',
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    for (const item of page.Items ?? []) counted += await countOne(devicesTable, item);
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return counted;
}

async function countOne(table: string, item: Item): Promise<number> {
  const [pk, sk] = [String(item.pk), String(item.sk)];
  const mac = macOfDevicePartition(pk);
  try {
    await documentClient().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table,
              Key: { pk, sk },
              UpdateExpression: 'SET #counted = :yes, #of = :mac',
              ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#counted)',
              ExpressionAttributeNames: { '#counted': APPLICATION_COUNTED, '#of': APPLICATION_OF },
              ExpressionAttributeValues: { ':yes': true, ':mac': mac },
            },
          },
          countAction(table, applicationCountKey(mac, sk.slice(APPLICATION_PREFIX.length)), 1),
        ],
      }),
    );
    return 1;
  } catch (error) {
    // Counted meanwhile (another run of this): nothing to do.
    if (cancellationReasons(error)?.[0]?.code === 'ConditionalCheckFailed') return 0;
    throw error;
  }
}
