import { readFileSync } from 'node:fs';
import type { BuildOptions } from 'esbuild';
import { parse } from 'yaml';

/** serverless.yml's custom.esbuild as serverless-esbuild hands it to esbuild: its own keys out, `exclude` made external. */
export function deployedBuildOptions(): BuildOptions {
  const { custom } = parse(readFileSync('serverless.yml', 'utf8')) as { custom: { esbuild: BuildOptions & { exclude?: string[]; packager?: string } } };
  const { exclude = [], packager: _packager, ...options } = custom.esbuild;
  return { ...options, external: exclude };
}
