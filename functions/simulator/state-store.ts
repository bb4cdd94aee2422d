import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/dynamodb-client.ts';
import type { NetworkState } from './network.ts';

const STATE_KEY = { pk: 'sim#state', sk: 'state' };

export interface StoredState {
  state: NetworkState;
  /** Whether the step's emissions reached the queues. */
  emitted: boolean;
}

export async function loadState(table: string): Promise<StoredState | undefined> {
  const result = await documentClient().send(new GetCommand({ TableName: table, Key: STATE_KEY, ConsistentRead: true }));
  return result.Item === undefined ? undefined : { state: result.Item.state as NetworkState, emitted: result.Item.emitted === true };
}

/**
 * Claims the next step: saved only over the step it was computed from, so that of two
 * concurrent ticks one advances the network and the other does nothing.
 */
export async function claimStep(table: string, state: NetworkState, previousStep: number | undefined): Promise<boolean> {
  try {
    await documentClient().send(
      new PutCommand({
        TableName: table,
        Item: { ...STATE_KEY, step: state.step, state, emitted: false },
        ConditionExpression: previousStep === undefined ? 'attribute_not_exists(step)' : 'step = :previous',
        ExpressionAttributeValues: previousStep === undefined ? undefined : { ':previous': previousStep },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

export async function markEmitted(table: string, step: number): Promise<void> {
  await documentClient().send(
    new UpdateCommand({
      TableName: table,
      Key: STATE_KEY,
      UpdateExpression: 'SET emitted = :yes',
      ConditionExpression: 'step = :step',
      ExpressionAttributeValues: { ':yes': true, ':step': step },
    }),
  );
}
