import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties: Record<string, any> }>;
  Outputs: Record<string, unknown>;
}

/** Runs `npm run package` into a temporary directory and returns the CloudFormation template. */
export function packageTemplate(stage = 'dev'): CfnTemplate {
  const dir = mkdtempSync(join(tmpdir(), 'netingest-package-'));
  const result = spawnSync(process.execPath, ['infra/package.ts', '--package', dir], {
    encoding: 'utf8',
    env: { ...process.env, STAGE: stage },
  });
  if (result.status !== 0) throw new Error(`packaging failed:\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as CfnTemplate;
}

export function resourcesOfType(template: CfnTemplate, type: string) {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}
