import type { ScheduledEvent } from 'aws-lambda';
import { lambdaHandler } from '../shared/lambda-handler.ts';
import { simulatorConfig } from './config.ts';
import { emissions } from './emissions.ts';
import { emitToQueues } from './emit.ts';
import { advance, initialNetwork, type NetworkState } from './network.ts';
import { claimStep, loadState, markEmitted } from './state-store.ts';

/**
 * Every minute (EventBridge): advances the simulated network one step at the event's
 * time and emits what its devices would send. The state lives in DynamoDB, so ticks
 * continue each other. A step is claimed before it is emitted and marked after: a tick
 * not newer than the last does nothing, and a step whose emission was interrupted is
 * emitted again, identically, by the next delivery of its tick.
 */
export const handler = lambdaHandler(async (event: ScheduledEvent): Promise<{ step: number; emitted: Record<string, number> } | undefined> => {
  const config = simulatorConfig();
  const clock = new Date(event.time).toISOString();
  const stored = await loadState(config.devicesTable);
  const last = stored?.state;
  if (last?.clock != null && last.clock > clock) return undefined;
  if (last?.clock === clock) return stored?.emitted ? undefined : emit(last, config);
  const next = advance(last ?? initialNetwork(config.seed, config.devices, clock), clock);
  if (!(await claimStep(config.devicesTable, next, last?.step))) return undefined;
  return emit(next, config);
});

async function emit(state: NetworkState, config: ReturnType<typeof simulatorConfig>) {
  const key = `simulator/${state.seed}/${state.booted_at}/${state.step}`;
  const emitted = await emitToQueues(emissions(state), config.queues, key, state.clock as string);
  await markEmitted(config.devicesTable, state.step);
  return { step: state.step, emitted };
}
