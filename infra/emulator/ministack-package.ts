import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyTemplateWorkarounds, type Template } from './workarounds.ts';

/**
 * `osls package` into `dir`, then the template without what MiniStack cannot create
 * (workarounds.ts, TEMPLATE_WORKAROUNDS); `osls deploy --package <dir>` deploys it as `osls
 * deploy` would have. Returns one line per template workaround.
 */
export async function packageForMiniStack(
  osls: (args: string[]) => Promise<number>,
  options: { endpoint: string; region: string; args: string[]; dir: string },
): Promise<string[]> {
  rmSync(options.dir, { recursive: true, force: true });
  const status = await osls(['package', ...options.args, '--package', options.dir]);
  if (status !== 0) throw new Error(`osls package exited ${status}`);
  // osls deploys the template its saved state holds; the template file beside it says the same.
  const stateFile = join(options.dir, 'serverless-state.json');
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { service: { provider: { compiledCloudFormationTemplate: Template } } };
  const template = state.service.provider.compiledCloudFormationTemplate;
  const lines = await applyTemplateWorkarounds(template, options.endpoint, options.region);
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
  writeFileSync(join(options.dir, 'cloudformation-template-update-stack.json'), JSON.stringify(template, null, 2));
  return lines;
}
