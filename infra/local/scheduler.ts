import { randomUUID } from 'node:crypto';
import { CronExpressionParser } from 'cron-parser';
import type { LocalFunction } from './lambda.ts';
import type { ScheduleEvent } from './service-config.ts';

const UNIT_MS: Record<string, number> = { minute: 60_000, minutes: 60_000, hour: 3_600_000, hours: 3_600_000, day: 86_400_000, days: 86_400_000 };

/** Milliseconds between firings of `rate(N unit)`. */
export function rateMs(expression: string): number | undefined {
  const match = /^rate\((\d+)\s+(minutes?|hours?|days?)\)$/.exec(expression.trim());
  if (match === null) return undefined;
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}

/**
 * AWS cron has six fields (minutes hours day-of-month month day-of-week year), `?` for
 * "no value", and numbers days of the week 1-7 from Sunday; cron-parser takes five
 * fields numbered 0-6. The year field is checked separately.
 */
export function toStandardCron(expression: string): { cron: string; years?: string } {
  const match = /^cron\((.*)\)$/.exec(expression.trim());
  if (match === null) throw new Error(`not a cron expression: ${expression}`);
  const fields = (match[1] as string).trim().split(/\s+/);
  if (fields.length !== 6) throw new Error(`AWS cron needs six fields: ${expression}`);
  const [minutes, hours, dom, month, dow, years] = fields as [string, string, string, string, string, string];
  const weekday = dow.replace(/\d+/g, (d) => String(Number(d) - 1));
  return { cron: [minutes, hours, dom, month, weekday].map((f) => (f === '?' ? '*' : f)).join(' '), years: years === '*' ? undefined : years };
}

export function nextCronTime(expression: string, after: Date): Date {
  const { cron } = toStandardCron(expression);
  return CronExpressionParser.parse(cron, { currentDate: after, tz: 'UTC' }).next().toDate();
}

export interface SchedulerOptions {
  region: string;
  /** How much faster than real time the schedule clock runs (tests use e.g. 600). */
  clockSpeed: number;
  log: (line: string) => void;
}

/**
 * EventBridge schedules for functions: fires rate() and cron() expressions on a clock
 * that may run faster than real time, with the scheduled-event payload (or the
 * configured input) as the event.
 */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly startReal = Date.now();
  private running = true;
  private readonly options: SchedulerOptions;

  constructor(options: SchedulerOptions) {
    this.options = options;
  }

  /** The schedule clock: real time at start, then advancing clockSpeed times faster. */
  now(): Date {
    return new Date(this.startReal + (Date.now() - this.startReal) * this.options.clockSpeed);
  }

  add(fn: LocalFunction, schedule: ScheduleEvent, index: number): void {
    if (!schedule.enabled) return;
    const ruleName = `${fn.deployedName}-schedule-${index + 1}`;
    const every = rateMs(schedule.expression);
    if (every === undefined && !schedule.expression.startsWith('cron(')) {
      throw new Error(`${fn.config.name}: unsupported schedule ${schedule.expression}`);
    }
    // Rates fire at fixed steps from the start, so that a slow tick does not shift the next.
    const arm = (previous: Date) => {
      if (!this.running) return;
      const next = every !== undefined ? new Date(previous.getTime() + every) : nextCronTime(schedule.expression, previous);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        arm(next);
        this.fire(fn, schedule, ruleName, next);
      }, Math.max(0, (next.getTime() - this.now().getTime()) / this.options.clockSpeed));
      this.timers.add(timer);
    };
    arm(this.now());
  }

  private fire(fn: LocalFunction, schedule: ScheduleEvent, ruleName: string, time: Date): void {
    const event = schedule.input ?? {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.options.region,
      resources: [`arn:aws:events:${this.options.region}:000000000000:rule/${ruleName}`],
      detail: {},
    };
    const started = performance.now();
    const run = fn
      .invoke(event)
      .then(() => this.options.log(`schedule ${schedule.expression} -> ${fn.config.name} ok ${Math.round(performance.now() - started)} ms`))
      .catch((error: Error) => this.options.log(`schedule ${schedule.expression} -> ${fn.config.name} failed: ${error.message}`))
      .finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all(this.inFlight);
  }
}
