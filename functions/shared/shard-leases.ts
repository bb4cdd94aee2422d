/**
 * Shards handed to the transactions of this process: one transaction holds one shard at a
 * time, and no two hold the same, so their sharded items never meet (in the local runtime
 * every poller runs in one process). Each process starts at a random shard, so that on AWS
 * concurrent Lambda environments tend to different shards, and a transaction that meets
 * another anyway (TransactionConflict) moves to another shard before it tries again.
 */
export class ShardLeases {
  private readonly busy = new Set<number>();
  private readonly waiting: ((shard: number) => void)[] = [];
  private readonly start: number;
  readonly size: number;

  constructor(size: number) {
    this.size = size;
    this.start = Math.floor(Math.random() * size);
  }

  acquire(avoid?: number): Promise<number> {
    const free = Array.from({ length: this.size }, (_, i) => (this.start + i) % this.size).filter((s) => !this.busy.has(s));
    const shard = free.find((s) => s !== avoid) ?? free[0];
    if (shard !== undefined) {
      this.busy.add(shard);
      return Promise.resolve(shard);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(shard: number): void {
    const next = this.waiting.shift();
    if (next === undefined) this.busy.delete(shard);
    else next(shard);
  }
}

const leases = new Map<number, ShardLeases>();
export function shardLeases(size: number): ShardLeases {
  let pool = leases.get(size);
  if (pool === undefined) leases.set(size, (pool = new ShardLeases(size)));
  return pool;
}
