import { describe, expect, it } from 'vitest';
import { loadServiceConfig } from '../../infra/local/service-config.ts';
import { nextCronTime, rateMs, toStandardCron } from '../../infra/local/scheduler.ts';

describe('reading serverless.yml', () => {
  const config = loadServiceConfig('serverless.yml', { stage: 'qa' });

  it('resolves variables with the stage', () => {
    expect(config.stage).toBe('qa');
    expect(config.resources.PacketsQueue?.Properties?.QueueName).toBe('netingest-qa-packets');
  });

  it('reads routes, sqs event sources and per-function settings', () => {
    const writer = config.functions.find((f) => f.name === 'packetsWriter');
    expect(writer?.sqs[0]).toMatchObject({ batchSize: 10, maximumBatchingWindow: 0, functionResponseType: 'ReportBatchItemFailures' });
    expect(writer?.timeout).toBe(30);
    const query = config.functions.find((f) => f.name === 'packetsQuery');
    expect(query?.httpApi).toContainEqual({ method: 'GET', path: '/packets/tables/{protocol}', authorizer: 'apiKey' });
    expect(config.authorizers.get('apiKey')).toMatchObject({ functionName: 'authorizer', enableSimpleResponses: true, identitySource: [] });
  });

  it('defaults the stage the way the framework does', () => {
    expect(loadServiceConfig('serverless.yml').stage).toBe('dev');
  });

  it('leaves out what a stage parameter turns off, as the deploy plugin does', () => {
    const names = (stage: string, params?: Record<string, string>) => loadServiceConfig('serverless.yml', { stage, params }).functions.map((f) => f.name);
    // The simulator: on for `local` (npm start), off elsewhere unless a stage or --param turns it on.
    expect(names('local')).toEqual(expect.arrayContaining(['simulator', 'simulatorRetention', 'liveBroadcaster']));
    expect(names('qa')).not.toContain('simulator');
    expect(names('qa')).not.toContain('simulatorRetention');
    expect(names('qa', { simulator: 'on' })).toContain('simulator');
    expect(names('local', { simulator: 'off' })).not.toContain('simulator');
    // The live channel: on unless a stage turns it off, with its table and secret.
    const off = loadServiceConfig('serverless.yml', { stage: 'qa', params: { live: 'off' } });
    expect(off.functions.map((f) => f.name)).not.toContain('liveBroadcaster');
    expect(off.resources.LiveConnectionsTable).toBeUndefined();
    expect(off.resources.LiveTokenSecret).toBeUndefined();
    expect(config.resources.LiveConnectionsTable).toBeDefined();
    expect(names('emulator')).toContain('liveBroadcaster');
  });
});

describe('schedule expressions', () => {
  it('reads rate()', () => {
    expect(rateMs('rate(1 minute)')).toBe(60_000);
    expect(rateMs('rate(5 minutes)')).toBe(300_000);
    expect(rateMs('rate(2 hours)')).toBe(7_200_000);
    expect(rateMs('rate(1 fortnight)')).toBeUndefined();
  });

  it('converts AWS cron to five-field cron', () => {
    expect(toStandardCron('cron(0 * * * ? *)').cron).toBe('0 * * * *');
    expect(toStandardCron('cron(0/15 8-17 ? * 2-6 *)').cron).toBe('0/15 8-17 * * 1-5');
    expect(() => toStandardCron('cron(0 * * * *)')).toThrow(/six fields/);
  });

  it('finds the next firing of an hourly cron', () => {
    expect(nextCronTime('cron(0 * * * ? *)', new Date('2026-01-01T10:15:00Z')).toISOString()).toBe('2026-01-01T11:00:00.000Z');
  });
});

describe('starting the embedded DynamoDB', () => {
  it('explains what to install when java is missing', async () => {
    const { requireJava } = await import('../../infra/local/emulators.ts');
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(() => requireJava()).toThrow(/needs Java 17 or newer.*Install a JRE.*AWS_ENDPOINT_URL/s);
    } finally {
      process.env.PATH = path;
    }
  });
});
