import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { forEachLimited } from './batch-writer.ts';
import { documentClient } from './dynamodb-client.ts';
import { expressionPlaceholders } from './expression-placeholders.ts';
import { backoffDelay, sleep } from './retry.ts';
import { shardLeases } from './shard-leases.ts';

/** An increment of numeric attributes (and idempotent sets) on one item. */
export interface CounterUpdate {
  table: string;
  key: Record<string, string | number>;
  /** Integers to add; bigint where a sum may pass 2^53 (DynamoDB numbers hold 38 digits). */
  add: Record<string, number | bigint>;
  set?: Record<string, unknown>;
  /**
   * Set only where the stored value is later (ISO timestamps such as first_seen): the mirror
   * of setIfNewer, moving only backward, so the earliest value wins whatever the order.
   */
  setIfOlder?: Record<string, string>;
  /**
   * Set only where the stored value is older (ISO timestamps such as last_seen): moving only
   * forward, it is idempotent and the result does not depend on the order messages arrive in.
   */
  setIfNewer?: Record<string, string>;
  /**
   * Values set when, and only when, the named setIfNewer attribute moves forward: what was
   * true at that time (a device's IP address when it was last seen with one).
   */
  setWithNewer?: Record<string, Record<string, unknown>>;
  /**
   * The item is one of several shards whose sums readers add up: its key attribute named here
   * gets `#<shard>` appended, the shard being the one the committing writer holds (see
   * ShardLeases), so that writers running at the same time never hold the same item.
   */
  shardAttribute?: string;
  /** Updates made in the same transaction as the one that creates this item (a device's index entry). */
  onCreate?: CounterUpdate[];
}

/** Updates that must take effect exactly once, guarded by one marker id. */
export interface IdempotentUnit {
  id: string;
  updates: CounterUpdate[];
}

export interface ExactlyOnceOptions {
  markerTable: string;
  /** How long a marker is kept: longer than any message can live in a queue and its DLQ. */
  markerTtlSeconds?: number;
  /** Shards of the updates that name a shardAttribute (readers sum shards 0 .. shards - 1). */
  shards?: number;
  /** Transactions of one call committed at the same time (each holds a shard of its own). */
  parallel?: number;
}

export const MAX_ACTIONS = 100; // TransactWriteItems' limit
/** Cancellation reasons a transaction may be tried again after. */
export const RETRYABLE = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);
const RETRYABLE_SINGLE = new Set(['TransactionConflictException', 'ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded']);
const ATTEMPTS = 10;
/** Attempts that only learned an item's stored state (a condition failed) before trying again. */
const STATE_ATTEMPTS = 10;
const PARALLEL_SINGLE = 16;
/**
 * How long a marker (a message's, a delta's or a sighting's fold) is kept from its write: a
 * copy arriving later than that would be stored again, which is why a redrive holds back
 * dead letters nearly that old (infra/local/redrive-queue.ts).
 */
export const MARKER_TTL_SECONDS = 30 * 24 * 3600;

/**
 * What this process's writers did, for benchmarks and logs: transactions committed,
 * attempts retried because another writer held one of their items (TransactionConflict),
 * writes that named an item a transaction of this process held at the time (see holdItems),
 * single-item writes, and attempts repeated because an item's stored state was not as
 * remembered (a condition failed and told what is stored).
 */
export const exactlyOnceStats = { transactions: 0, conflictRetries: 0, wouldConflict: 0, singleWrites: 0, stateRetries: 0 };

/**
 * Applies each unit's updates exactly once, however often it is retried.
 *
 * - What is idempotent (updates that add nothing: sets, first_seen and last_seen moves, index
 *   entries) is no part of a transaction: it is merged over the whole batch, one conditional
 *   UpdateItem per item, and redone on every delivery, before the additions.
 * - Additions (with what their item sets) go in transactions that also put a marker per unit
 *   under attribute_not_exists, so that they commit together or not at all. Units are packed
 *   many to a transaction, their updates summed per item (one action per item, as
 *   transactions require); a unit too big for one transaction is split into deterministic
 *   parts, each with its own marker. When a marker already exists that unit was applied
 *   before and is dropped.
 * - Sharded items go to the shard the committing transaction holds, so concurrent writers
 *   never name the same item: a hot item (one device in every packet) is no longer a queue.
 *
 * Returns the ids of units found already applied.
 */
export async function applyExactlyOnce(units: readonly IdempotentUnit[], options: ExactlyOnceOptions): Promise<string[]> {
  // One marker per id: copies of a unit (a message delivered twice) apply once.
  const unique = [...new Map(units.map((unit) => [unit.id, unit])).values()];
  const idempotent = mergeUpdates(unique.flatMap((u) => u.updates.filter((update) => !isAddition(update))));
  await forEachLimited(idempotent, PARALLEL_SINGLE, applySingle);
  const transactional = unique.map((unit) => ({ id: unit.id, updates: unit.updates.filter(isAddition) })).filter((unit) => unit.updates.length > 0);
  const alreadyApplied: string[] = [];
  await forEachLimited(planTransactions(transactional), options.parallel ?? 1, async (group) => {
    alreadyApplied.push(...(await commitGroup(group, options)));
  });
  return alreadyApplied;
}

function isAddition(update: CounterUpdate): boolean {
  return Object.keys(update.add).length > 0 || update.shardAttribute !== undefined;
}

/** Sums updates that target the same item. */
export function mergeUpdates(updates: readonly CounterUpdate[]): CounterUpdate[] {
  const merged = new Map<string, CounterUpdate>();
  for (const update of updates) {
    const id = itemId(update);
    const existing = merged.get(id);
    if (existing === undefined) {
      merged.set(id, {
        ...update,
        add: { ...update.add },
        set: update.set && { ...update.set },
        setIfOlder: update.setIfOlder && { ...update.setIfOlder },
        setIfNewer: update.setIfNewer && { ...update.setIfNewer },
        setWithNewer: update.setWithNewer && { ...update.setWithNewer },
        onCreate: update.onCreate && [...update.onCreate],
      });
      continue;
    }
    for (const [name, value] of Object.entries(update.add)) existing.add[name] = addExact(existing.add[name] ?? 0, value);
    for (const [name, value] of Object.entries(update.setIfNewer ?? {})) {
      existing.setIfNewer ??= {};
      const current = existing.setIfNewer[name];
      const withIt = update.setWithNewer?.[name];
      const newer = current === undefined || current < value;
      // Equal times: the larger value wins, so that the result does not depend on the order.
      const tie = current === value && withIt !== undefined && JSON.stringify(withIt) > JSON.stringify(existing.setWithNewer?.[name] ?? null);
      if (newer) existing.setIfNewer[name] = value;
      if ((newer || tie) && withIt !== undefined) existing.setWithNewer = { ...existing.setWithNewer, [name]: withIt };
      else if (newer && existing.setWithNewer?.[name] !== undefined) {
        const { [name]: _, ...rest } = existing.setWithNewer;
        existing.setWithNewer = rest;
      }
    }
    for (const [name, value] of Object.entries(update.setIfOlder ?? {})) {
      existing.setIfOlder ??= {};
      const current = existing.setIfOlder[name];
      if (current === undefined || current > value) existing.setIfOlder[name] = value;
    }
    if (update.set) existing.set = { ...existing.set, ...update.set };
    if (update.onCreate) existing.onCreate = mergeUpdates([...(existing.onCreate ?? []), ...update.onCreate]);
  }
  return [...merged.values()];
}

/** a + b, exact: a number while the sum is a safe integer, a bigint past it. */
export function addExact(a: number | bigint, b: number | bigint): number | bigint {
  if (typeof a === 'number' && typeof b === 'number' && Number.isSafeInteger(a + b)) return a + b;
  return BigInt(a) + BigInt(b);
}

/** The item an update names, before sharding: updates with the same id are summed into one action. */
export function itemId(update: CounterUpdate): string {
  const key = Object.keys(update.key).sort().map((k) => [k, update.key[k]]);
  return `${update.table}\u0000${JSON.stringify(key)}`;
}

/** Actions an update may take in a transaction: itself and, when it creates its item, what comes with that. */
const weight = (update: CounterUpdate): number => 1 + (update.onCreate?.length ?? 0);

/** The most writes these updates make: each, and what comes with creating its item. */
export const writesAtMost = (updates: readonly CounterUpdate[]): number => updates.reduce((n, u) => n + weight(u), 0);

/**
 * The transactions these units go in, as applyExactlyOnce commits them: a unit too big for one
 * split into deterministic parts, then units packed many to a transaction within MAX_ACTIONS.
 */
export function planTransactions(units: readonly IdempotentUnit[]): IdempotentUnit[][] {
  return packTransactions(units.flatMap(splitOversized));
}

function splitOversized(unit: IdempotentUnit): IdempotentUnit[] {
  const updates = mergeUpdates(unit.updates);
  const room = MAX_ACTIONS - 1;
  if (updates.reduce((n, u) => n + weight(u), 0) <= room) return [{ id: unit.id, updates }];
  // Sorted by the unsharded key, so that a redelivered message splits into exactly the same parts.
  updates.sort((a, b) => (itemId(a) < itemId(b) ? -1 : 1));
  const parts: IdempotentUnit[] = [];
  let part: CounterUpdate[] = [];
  let used = 0;
  for (const update of updates) {
    if (part.length > 0 && used + weight(update) > room) {
      parts.push({ id: `${unit.id}#part${parts.length}`, updates: part });
      part = [];
      used = 0;
    }
    part.push(update);
    used += weight(update);
  }
  parts.push({ id: `${unit.id}#part${parts.length}`, updates: part });
  return parts;
}

function packTransactions(units: IdempotentUnit[]): IdempotentUnit[][] {
  const groups: IdempotentUnit[][] = [];
  let group: IdempotentUnit[] = [];
  let items = new Map<string, number>();
  let actions = 0;
  for (const unit of units) {
    const unitItems = unit.updates.map((u) => [itemId(u), weight(u)] as const);
    const added = unitItems.filter(([id]) => !items.has(id)).reduce((n, [, w]) => n + w, 0);
    if (group.length > 0 && group.length + 1 + actions + added > MAX_ACTIONS) {
      groups.push(group);
      group = [];
      items = new Map();
      actions = 0;
    }
    group.push(unit);
    for (const [id, w] of unitItems) {
      if (!items.has(id)) actions += w;
      items.set(id, w);
    }
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

function atShard(update: CounterUpdate, shard: number): CounterUpdate {
  const attribute = update.shardAttribute;
  if (attribute === undefined) return update;
  return { ...update, key: { ...update.key, [attribute]: `${update.key[attribute]}#${shard}` }, shardAttribute: undefined };
}

/**
 * What this process last knew of the items whose updates depend on what is stored (first
 * and last seen, whether the item exists): with it, a conditional update is right the first
 * time; without it, or when another writer changed the item, the condition fails, DynamoDB
 * returns the item as stored, and the update is planned again from that.
 */
interface ItemState {
  exists: boolean;
  values: Record<string, string | undefined>;
}
/** Items remembered, the most recently written kept (a few MB: a writer's memory is small). */
const MAX_KNOWN_STATES = 20_000;
const knownStates = new Map<string, ItemState>();
function remember(id: string, state: ItemState): void {
  knownStates.delete(id);
  if (knownStates.size >= MAX_KNOWN_STATES) {
    let evict = MAX_KNOWN_STATES / 4;
    for (const key of knownStates.keys()) {
      if (evict-- <= 0) break;
      knownStates.delete(key);
    }
  }
  knownStates.set(id, state);
}

/**
 * How an update is planned when this process knows nothing of its item. Most items a writer
 * meets exist already (a network's devices are seen again and again), so a new process plans
 * them as existing and seen before: first_seen earlier than ours, last_seen older, no index
 * entry to make. Planned as new, as it once was, every such first write was refused and made
 * again: one more transaction in each new writer's first invocation. The guess follows what
 * the process learns of the items it did not know (a moving share of those that existed), so
 * that one meeting mostly new devices, as in a scan, plans them as new.
 */
const GUESS_WEIGHT = 1 / 32;
const NEW_ITEM: ItemState = { exists: false, values: {} };
let unknownItemsExisted = 1;
function learnUnknown(existed: boolean): void {
  unknownItemsExisted += (Number(existed) - unknownItemsExisted) * GUESS_WEIGHT;
}
function guessedState(update: CounterUpdate): ItemState {
  if (unknownItemsExisted < 0.5) return NEW_ITEM;
  // first_seen as ours: it stays, under the condition that the stored one is no later.
  return { exists: true, values: { ...update.setIfOlder } };
}

/** What a plan resting on a guess teaches once written: only a success its conditions tested says the guess held. */
function learnFromWrite(plan: Plan): void {
  if (plan.guess?.tested === true) learnUnknown(plan.guess.exists);
}

/** What a plan resting on a guess teaches once refused: the stored item tells whether the item exists. */
function learnFromRefusal(plan: Plan, stored: ItemState): void {
  if (plan.guess !== undefined) learnUnknown(stored.exists);
}

const tracked = (update: CounterUpdate): boolean =>
  update.setIfNewer !== undefined || update.setIfOlder !== undefined || (update.onCreate?.length ?? 0) > 0;

/** The stored item a failed condition returned (AttributeValues: the document client leaves errors alone). */
function stateOf(item: unknown, update: CounterUpdate): ItemState {
  if (typeof item !== 'object' || item === null || Object.keys(item).length === 0) return { exists: false, values: {} };
  const record = item as Record<string, unknown>;
  const text = (value: unknown): string | undefined => {
    if (typeof value === 'string') return value;
    if (typeof value === 'object' && value !== null && typeof (value as { S?: unknown }).S === 'string') return (value as { S: string }).S;
    return undefined;
  };
  const names = [...Object.keys(update.setIfNewer ?? {}), ...Object.keys(update.setIfOlder ?? {})];
  return { exists: true, values: Object.fromEntries(names.map((n) => [n, text(record[n])])) };
}

interface Plan {
  /** Absent when there is nothing to change: what is stored already says more than the update. */
  action?: {
    TableName: string;
    Key: Record<string, string | number>;
    UpdateExpression: string;
    ConditionExpression?: string;
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  };
  /** Whether this update creates its item (and so brings its onCreate updates). */
  creates: boolean;
  /** The item's state once the update is made. */
  after: ItemState;
  /** What the plan rested on when this process knew nothing of the item (see guessedState). */
  guess?: Guess;
}

interface Guess {
  /** Whether the plan took the item to exist. */
  exists: boolean;
  /** Whether its conditions fail were that wrong: only then does its success tell anything. */
  tested: boolean;
}

/**
 * One UpdateItem for an update, given what is stored (unknown: as guessedState guesses it). A
 * first_seen or last_seen either moves, under the condition that the stored value is absent
 * or on the side it moves from, or stays, under the condition that it is on the other side;
 * so whatever is stored, the update is right or fails and is planned again.
 */
function planUpdate(update: CounterUpdate, known: ItemState | undefined): Plan {
  const guessed = known === undefined && tracked(update);
  const state = known ?? (guessed ? guessedState(update) : NEW_ITEM);
  const hasOnCreate = (update.onCreate?.length ?? 0) > 0;
  const { names, values, name, value } = expressionPlaceholders();
  const adds = Object.entries(update.add).map(([n, v]) => `${name(n)} ${value(v)}`);
  const sets = Object.entries(update.set ?? {}).map(([n, v]) => `${name(n)} = ${value(v)}`);
  const conditions: string[] = [];
  const after: ItemState = { exists: true, values: { ...state.values } };
  for (const [attribute, v] of Object.entries(update.setIfNewer ?? {})) {
    const stored = state.values[attribute];
    const [n, p] = [name(attribute), value(v)];
    if (stored === undefined || stored < v) {
      sets.push(`${n} = ${p}`);
      conditions.push(`(attribute_not_exists(${n}) OR ${n} < ${p})`);
      after.values[attribute] = v;
      for (const [other, w] of Object.entries(update.setWithNewer?.[attribute] ?? {})) sets.push(`${name(other)} = ${value(w)}`);
    } else conditions.push(`${n} >= ${p}`);
  }
  for (const [attribute, v] of Object.entries(update.setIfOlder ?? {})) {
    const stored = state.values[attribute];
    const [n, p] = [name(attribute), value(v)];
    if (stored === undefined || stored > v) {
      sets.push(`${n} = ${p}`);
      conditions.push(`(attribute_not_exists(${n}) OR ${n} > ${p})`);
      after.values[attribute] = v;
    } else conditions.push(`${n} <= ${p}`);
  }
  const creates = !state.exists && hasOnCreate;
  const keyAttribute = () => name(Object.keys(update.key)[0] as string);
  if (creates) conditions.push(`attribute_not_exists(${keyAttribute()})`);
  // Guessed to exist: were it new, its onCreate updates would be missed, so it must exist.
  else if (guessed && hasOnCreate) conditions.push(`attribute_exists(${keyAttribute()})`);
  const expression = [adds.length > 0 ? `ADD ${adds.join(', ')}` : '', sets.length > 0 ? `SET ${sets.join(', ')}` : ''].filter(Boolean).join(' ');
  // Nothing to set: every value stays, and stored values only ever move away from ours, so
  // there is nothing to write (the item exists, or a value would be set).
  if (expression === '') {
    // A guess is no ground for writing nothing: planned as new, the update makes sure of its values.
    if (guessed) return planUpdate(update, NEW_ITEM);
    return { creates: false, after };
  }
  const tested = hasOnCreate || (state.exists && Object.keys(update.setIfOlder ?? {}).length > 0);
  return {
    action: {
      TableName: update.table,
      Key: update.key,
      UpdateExpression: expression,
      ConditionExpression: conditions.length > 0 ? conditions.join(' AND ') : undefined,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: Object.keys(values).length > 0 ? values : undefined,
    },
    creates,
    after,
    ...(guessed ? { guess: { exists: state.exists, tested } } : {}),
  };
}

/** One idempotent update as a conditional UpdateItem, planned again from the stored item when its condition fails. */
async function applySingle(update: CounterUpdate): Promise<void> {
  const id = itemId(update);
  let stateAttempts = 0;
  for (let attempt = 0; ; attempt++) {
    const plan = planUpdate(update, knownStates.get(id));
    const action = plan.action;
    if (action === undefined) return;
    // What comes with creating the item first: redone harmlessly if the item turns out to exist.
    if (plan.creates) await forEachLimited(update.onCreate ?? [], PARALLEL_SINGLE, applySingle);
    noteSingleWrite(id);
    exactlyOnceStats.singleWrites++;
    try {
      const conditional = action.ConditionExpression !== undefined;
      await documentClient().send(new UpdateCommand({ ...action, ...(conditional ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}) }));
      learnFromWrite(plan);
      if (tracked(update)) remember(id, plan.after);
      return;
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'ConditionalCheckFailedException' && ++stateAttempts <= STATE_ATTEMPTS) {
        exactlyOnceStats.stateRetries++;
        const stored = stateOf((error as { Item?: unknown }).Item, update);
        learnFromRefusal(plan, stored);
        remember(id, stored);
        attempt--;
        continue;
      }
      if (name === 'TransactionConflictException') exactlyOnceStats.conflictRetries++;
      if (!RETRYABLE_SINGLE.has(name) || attempt + 1 >= ATTEMPTS) throw error;
      await sleep(backoffDelay(attempt));
    }
  }
}

/**
 * DynamoDB Local runs transactions one after another and never answers TransactionConflict,
 * which DynamoDB does when a transaction (or a single write) names an item that another
 * transaction in flight holds. So that a local run still shows what DynamoDB would refuse,
 * this process remembers the items of its transactions in flight and counts each
 * transaction attempt or single write that names one of them (`wouldConflict`).
 */
const itemsInTransactions = new Map<string, number>();

function holdItems(ids: readonly string[]): () => void {
  if (ids.some((id) => itemsInTransactions.has(id))) exactlyOnceStats.wouldConflict++;
  for (const id of ids) itemsInTransactions.set(id, (itemsInTransactions.get(id) ?? 0) + 1);
  return () => {
    for (const id of ids) {
      const n = (itemsInTransactions.get(id) ?? 1) - 1;
      if (n === 0) itemsInTransactions.delete(id);
      else itemsInTransactions.set(id, n);
    }
  };
}

function noteSingleWrite(id: string): void {
  if (itemsInTransactions.has(id)) exactlyOnceStats.wouldConflict++;
}

async function commitGroup(initial: IdempotentUnit[], options: ExactlyOnceOptions): Promise<string[]> {
  let group = initial;
  const alreadyApplied: string[] = [];
  const expiresAt = Math.floor(Date.now() / 1000) + (options.markerTtlSeconds ?? MARKER_TTL_SECONDS);
  const pool = group.some((unit) => unit.updates.some((u) => u.shardAttribute !== undefined)) ? shardLeases(options.shards ?? 1) : undefined;
  let shard = pool === undefined ? 0 : await pool.acquire();
  let stateAttempts = 0;
  try {
    for (let attempt = 0; group.length > 0; attempt++) {
      const planned = mergeUpdates(group.flatMap((u) => u.updates)).map((u) => atShard(u, shard));
      const withPlans = planned.map((update) => ({ update, id: itemId(update), plan: planUpdate(update, knownStates.get(itemId(update))) }));
      const named = new Set(withPlans.map((p) => p.id));
      const created = mergeUpdates(withPlans.filter((p) => p.plan.creates).flatMap((p) => p.update.onCreate ?? [])).filter((u) => !named.has(itemId(u)));
      const actions = [...withPlans, ...created.map((update) => ({ update, id: itemId(update), plan: planUpdate(update, knownStates.get(itemId(update))) }))].filter(
        (a): a is typeof a & { plan: Plan & { action: NonNullable<Plan['action']> } } => a.plan.action !== undefined,
      );
      const release = holdItems([...group.map((u) => `${options.markerTable}\u0000${u.id}`), ...actions.map((a) => a.id)]);
      try {
        await documentClient()
          .send(
            new TransactWriteCommand({
              TransactItems: [
                ...group.map((unit) => ({
                  Put: { TableName: options.markerTable, Item: { id: unit.id, expires_at: expiresAt }, ConditionExpression: 'attribute_not_exists(id)' },
                })),
                ...actions.map(({ plan }) => ({
                  Update: { ...plan.action, ...(plan.action.ConditionExpression !== undefined ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}) },
                })),
              ],
            }),
          )
          .finally(release);
        exactlyOnceStats.transactions++;
        for (const { update, id, plan } of actions) {
          learnFromWrite(plan);
          if (tracked(update)) remember(id, plan.after);
        }
        return alreadyApplied;
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (reasons === undefined) throw error;
        const applied = group.filter((_, i) => reasons[i]?.code === 'ConditionalCheckFailed');
        // An item not as this process remembered it: plan its update again from what is stored.
        const stale = actions.filter((_, j) => reasons[group.length + j]?.code === 'ConditionalCheckFailed');
        for (const a of stale) {
          const stored = stateOf(reasons[group.length + actions.indexOf(a)]?.item, a.update);
          learnFromRefusal(a.plan, stored);
          remember(a.id, stored);
        }
        if (applied.length > 0 || (stale.length > 0 && ++stateAttempts <= STATE_ATTEMPTS)) {
          if (stale.length > 0) exactlyOnceStats.stateRetries++;
          alreadyApplied.push(...applied.map((u) => u.id));
          group = group.filter((u) => !applied.includes(u));
          attempt--;
          continue;
        }
        const codes = reasons.map((r) => r.code);
        if (codes.includes('TransactionConflict')) {
          exactlyOnceStats.conflictRetries++;
          // Another writer holds one of these items: try another shard.
          if (pool !== undefined) {
            pool.release(shard);
            shard = await pool.acquire(shard);
          }
        }
        if (!codes.some((code) => code !== undefined && RETRYABLE.has(code)) || attempt + 1 >= ATTEMPTS) throw error;
        await sleep(backoffDelay(attempt));
      }
    }
    return alreadyApplied;
  } finally {
    pool?.release(shard);
  }
}

export function cancellationReasons(error: unknown): { code?: string; item?: unknown }[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as Error & { CancellationReasons?: { Code?: string; Item?: unknown }[] }).CancellationReasons;
  return (reasons ?? []).map((r) => ({ code: r.Code === 'None' ? undefined : r.Code, item: r.Item }));
}
