import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** Debian's chromium (or CHROMIUM_PATH), for the dashboard in a real browser; undefined when there is none. */
export const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p !== undefined && p !== '' && existsSync(p));

export const NO_CHROMIUM = 'no chromium binary (apt-get install -y chromium, or set CHROMIUM_PATH)';

/** That chromium, headless; playwright-core is imported only when a test opens one. */
export async function launchChromium(): Promise<Browser> {
  if (CHROMIUM === undefined) throw new Error(NO_CHROMIUM);
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}
