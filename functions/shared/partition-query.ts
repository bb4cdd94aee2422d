import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from './dynamodb-client.ts';

type Item = Record<string, unknown>;

/** A global secondary index: its name and the attributes that are its partition and sort keys. */
export interface IndexKeys {
  name: string;
  partitionKey: string;
  sortKey: string;
}

/**
 * Which items of one partition (`pk`) a query reads, in sort-key (`sk`) order: a range of
 * sort keys (at most one bound, or a prefix), newest first (descending) or ascending, and
 * optionally only some attributes. With `index`, the partition and sort keys are the index's.
 */
export interface PartitionQuery {
  /** Query this index of the table rather than the table. */
  index?: IndexKeys;
  /** Sort keys above this. */
  after?: string;
  /** Sort keys below this (ignored when `after` is given). */
  before?: string;
  /** Sort keys that start with this (ignored when `after` or `before` is given). */
  beginsWith?: string;
  /** Sort keys from the first to the second, both included (ignored when a bound above is given). */
  between?: [string, string];
  /** A strongly consistent read: what was written just before. */
  consistent?: boolean;
  descending?: boolean;
  /** At most this many items; all of them when absent. */
  limit?: number;
  attributes?: readonly string[];
  /** Only items without this attribute (a filter: DynamoDB reads the others, then leaves them out). */
  without?: string;
}

export interface PartitionPage {
  items: Item[];
  /** Where DynamoDB stopped: present when the partition may hold more in the range. */
  lastEvaluatedKey?: Item;
}

/**
 * One Query request: DynamoDB answers at most `limit` items and at most 1 MB, so a page
 * may stop short of `limit` with `lastEvaluatedKey` set.
 */
export async function queryPage(table: string, pk: string, query: PartitionQuery, start?: Item): Promise<PartitionPage> {
  const values: Item = { ':pk': pk };
  const { index } = query;
  // An index's key attributes go through placeholders, the sort key's only when a condition names it.
  const sortCondition = sortKeyCondition(query, index === undefined ? 'sk' : '#sk', values);
  const keys = index === undefined ? {} : { '#pk': index.partitionKey, ...(sortCondition === undefined ? {} : { '#sk': index.sortKey }) };
  const condition = `${index === undefined ? 'pk' : '#pk'} = :pk${sortCondition === undefined ? '' : ` AND ${sortCondition}`}`;
  // Attribute names go through placeholders: some of them are DynamoDB reserved words.
  const projected = query.attributes === undefined ? undefined : Object.fromEntries(query.attributes.map((a, i) => [`#a${i}`, a]));
  const named = { ...keys, ...projected, ...(query.without === undefined ? {} : { '#without': query.without }) };
  const names = Object.keys(named).length === 0 ? undefined : named;
  const page = await documentClient().send(
    new QueryCommand({
      TableName: table,
      IndexName: index?.name,
      KeyConditionExpression: condition,
      ExpressionAttributeValues: values,
      ExpressionAttributeNames: names,
      ProjectionExpression: projected === undefined ? undefined : Object.keys(projected).join(', '),
      FilterExpression: query.without === undefined ? undefined : 'attribute_not_exists(#without)',
      ScanIndexForward: query.descending === true ? false : undefined,
      ExclusiveStartKey: start,
      Limit: query.limit,
      ConsistentRead: query.consistent,
    }),
  );
  return { items: page.Items ?? [], lastEvaluatedKey: page.LastEvaluatedKey };
}

/**
 * The first `limit` items of the range (all of them without a limit), following
 * DynamoDB's pages until there are that many or the range is exhausted: a page cut short
 * by the 1 MB limit never passes for the end of the partition.
 */
export async function queryPartition(table: string, pk: string, query: PartitionQuery): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const remaining = query.limit === undefined ? undefined : query.limit - items.length;
    const page = await queryPage(table, pk, { ...query, limit: remaining }, start);
    items.push(...page.items);
    start = page.lastEvaluatedKey;
  } while (start !== undefined && (query.limit === undefined || items.length < query.limit));
  return items;
}

/** The condition on the sort key (named `name`) that the query asks for, if any; its values go into `values`. */
function sortKeyCondition(query: PartitionQuery, name: string, values: Item): string | undefined {
  if (query.after !== undefined) {
    values[':after'] = query.after;
    return `${name} > :after`;
  }
  if (query.before !== undefined) {
    values[':before'] = query.before;
    return `${name} < :before`;
  }
  if (query.beginsWith !== undefined) {
    values[':prefix'] = query.beginsWith;
    return `begins_with(${name}, :prefix)`;
  }
  if (query.between !== undefined) {
    [values[':from'], values[':to']] = query.between;
    return `${name} BETWEEN :from AND :to`;
  }
  return undefined;
}
