/** Median and range of repeated measurements, and their rendering in the results table. */
export interface Measure {
  median: number;
  min: number;
  max: number;
}

export function measure(values: readonly number[]): Measure {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted.at(-1) as number };
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const round = (n: number) => (n === 0 ? '0' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 10 ? 1 : 2));

export function show(m: Measure, unit = ''): string {
  return `${round(m.median)}${unit} (${round(m.min)}–${round(m.max)})`;
}

/** Runs a and b alternately, so that both see the same machine noise. */
export async function sideBySide(runs: number, a: () => Promise<number>, b: () => Promise<number>): Promise<[number[], number[]]> {
  const first: number[] = [];
  const second: number[] = [];
  for (let i = 0; i < runs; i++) {
    first.push(await a());
    second.push(await b());
  }
  return [first, second];
}

/** What a warm-up did: its rounds, and the rate of its first and of its last. */
export interface WarmUp {
  rounds: number;
  first: number;
  last: number;
}

/**
 * Runs warm-up rounds, each resolving with its rate, until a round's rate is within `within`
 * (a fraction) of the last one's after at least `minRounds`, or `maxRounds` have run: a JVM
 * still compiling, or pools still filling, make the first rounds slower than the rest.
 */
export async function warmUntilSettled(round: () => Promise<number>, options: { within: number; minRounds: number; maxRounds: number }): Promise<WarmUp> {
  const first = await round();
  let last = first;
  let rounds = 1;
  while (rounds < options.maxRounds) {
    rounds += 1;
    const rate = await round();
    const settled = Math.abs(rate - last) <= options.within * last;
    last = rate;
    if (settled && rounds >= options.minRounds) break;
  }
  return { rounds, first, last };
}
