import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildDashboard } from '../../dashboard/build.ts';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { READ_ONLY_KEY, TEST_API_KEY, getJson, postJson, startTestRuntime } from '../helpers/runtime.ts';
import { CHROMIUM, NO_CHROMIUM, launchChromium } from '../helpers/chromium.ts';

// The dashboard in a real browser: Debian's chromium, headless, loopback only.
if (CHROMIUM === undefined) console.warn(`test/e2e/dashboard.test.ts skipped: ${NO_CHROMIUM}`);

const ARTIFACTS = 'test-results';
const seedJson = readFileSync('events/notifications/seed-interfaces.json', 'utf8');
const uniqueMac = () =>
  Array.from({ length: 6 }, (_, i) => (i === 0 ? 0x02 : Math.floor(Math.random() * 256)).toString(16).padStart(2, '0')).join(':');

/** A notification with one interface of this MAC and these counters (as in live.test.ts). */
function notification(mac: string, eventTime: string, inOctets: bigint, outOctets: bigint): string {
  const n = JSON.parse(seedJson);
  const body = n['ietf-https-notif:notification'];
  body.eventTime = eventTime;
  const wlp = body.interface_data.interface[0];
  wlp['phys-address'] = mac;
  wlp.statistics['in-octets'] = String(inOctets);
  wlp.statistics['out-octets'] = String(outOctets);
  body.interface_data.interface = [wlp];
  return JSON.stringify(n);
}

describe.skipIf(CHROMIUM === undefined)('the dashboard in headless Chromium', () => {
  let runtime: LocalRuntime;
  let browser: Browser;
  let page: Page;
  const browserErrors: string[] = [];
  const inventoryMac = uniqueMac();
  const mac = uniqueMac();
  const t0 = Date.now() - 20_000;
  const post = (at: number, inOctets: bigint, outOctets: bigint) =>
    fetch(`${runtime.url}/relay-notification`, {
      method: 'POST',
      headers: { 'content-type': 'application/yang-data+json', 'x-api-key': TEST_API_KEY },
      body: notification(mac, new Date(at).toISOString(), inOctets, outOctets),
    });

  beforeAll(async () => {
    const [, started] = await Promise.all([buildDashboard({ ifMissing: true }), startTestRuntime({ streamEventSources: true })]);
    runtime = started;
    // A device from inventory, and one a first notification made (no speed yet).
    expect((await postJson(runtime.url, '/devices', [{ host_name: 'RT1', device_type: 'Router', operating_system: 'Cisco IOS', mac_address: inventoryMac, ip_address: '172.16.101.1' }])).status).toBe(202);
    expect((await post(t0, 1_000_000_000n, 50_000_000n)).status).toBe(204);
    for (const m of [inventoryMac, mac]) {
      for (let i = 0; i < 100 && (await getJson(runtime.url, `/devices/${m}`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
    }
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 1100 } });
    page.on('pageerror', (error) => browserErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') browserErrors.push(`${message.text()} (${message.location().url})`);
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
  });

  it('serves the built page at /dashboard, and refuses paths outside it', async () => {
    // The page is /dashboard itself (an API Gateway greedy path needs a segment after the slash).
    const index = await fetch(`${runtime.url}/dashboard`, { redirect: 'manual' });
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await index.text();
    // Linked from the page's place, so that the page works wherever the API's root is.
    const script = html.match(/src="(dashboard\/assets\/[^"]+\.js)"/)?.[1];
    expect(script, html).toBeDefined();
    const asset = await fetch(new URL(script as string, `${runtime.url}/dashboard`));
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    // Anywhere else the page's links would lead astray: it sends the browser to /dashboard.
    const elsewhere = await fetch(`${runtime.url}/dashboard/index.html?key=k`, { redirect: 'manual' });
    expect(elsewhere.status).toBe(302);
    expect(new URL(elsewhere.headers.get('location') as string, `${runtime.url}/dashboard/index.html`).href).toBe(`${runtime.url}/dashboard?key=k`);
    expect((await fetch(`${runtime.url}/dashboard/index%2Ehtml`, { redirect: 'manual' })).status).toBe(302);
    expect((await fetch(`${runtime.url}/dashboard/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${runtime.url}/dashboard/%2e%2e/build.ts`)).status).toBe(404);
  });

  it('asks for a key, then renders the devices from HTTP and goes live', async () => {
    await page.goto(`${runtime.url}/dashboard`);
    await page.getByLabel('API key (read scope)').fill(READ_ONLY_KEY);
    await page.getByRole('button', { name: 'Show the network' }).click();
    const devices = page.getByTestId('devices');
    await devices.locator(`tr[data-mac="${inventoryMac}"]`).waitFor({ timeout: 10_000 });
    await expect.poll(() => devices.locator(`tr[data-mac="${inventoryMac}"]`).innerText()).toContain('RT1');
    await expect.poll(() => devices.locator(`tr[data-mac="${inventoryMac}"]`).innerText()).toContain('Connected');
    await devices.locator(`tr[data-mac="${mac}"]`).waitFor();
    await expect.poll(() => page.getByTestId('summary').innerText()).toMatch(/Connected devices\s*\d+ of \d+/);
    await expect.poll(() => page.getByTestId('live-state').innerText(), { timeout: 10_000 }).toBe('Live');
    // The key is kept for the tab, not in the address bar.
    expect(await page.evaluate('sessionStorage.getItem("netingest.apiKey")')).toBe(READ_ONLY_KEY);
  });

  it("updates a device's chart within 3 s of a new notification", async () => {
    // ?key= works too (and leaves the address bar).
    await page.goto(`${runtime.url}/dashboard?key=${encodeURIComponent(READ_ONLY_KEY)}`);
    expect(new URL(page.url()).search).toBe('');
    await expect.poll(() => page.getByTestId('live-state').innerText(), { timeout: 10_000 }).toBe('Live');
    const row = page.locator(`tr[data-mac="${mac}"]`);
    await row.getByRole('button').click();
    const chart = page.locator(`[data-testid="device-chart"][data-mac="${mac}"]`);
    await chart.waitFor();
    // The socket's first message has replaced the HTTP paint: one reading so far, no speed yet.
    await page.locator('table[data-source="live"]').waitFor({ timeout: 5_000 });
    expect(await chart.locator('canvas').count()).toBe(1);
    expect(await chart.getAttribute('data-last')).toMatch(/:0:0$/);

    // Ten seconds later: 125,000,000 bytes in is 100 Mbps down, 10,000,000 out is 8 Mbps up.
    const sent = Date.now();
    expect((await post(t0 + 10_000, 1_125_000_000n, 60_000_000n)).status).toBe(204);
    await expect.poll(() => chart.getByTestId('chart-latest').innerText(), { timeout: 3_000, interval: 50 }).toMatch(/upload 8 Mbps, download 100 Mbps/);
    expect(Date.now() - sent).toBeLessThan(3_000);
    // What the chart plots ends with that reading, at the notification's time.
    expect(await chart.getAttribute('data-last')).toBe(`${(t0 + 10_000) / 1000}:8:100`);
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThanOrEqual(1);
    expect(await row.locator('[data-field="down"]').innerText()).toBe('100');
    expect(await row.locator('[data-field="up"]').innerText()).toBe('8');

    await page.screenshot({ path: `${ARTIFACTS}/dashboard.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    // At phone width nothing scrolls sideways but the device table's own region, once the
    // chart has followed the resize (uPlot redraws its canvas on the resize event).
    await expect.poll(() => page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), { timeout: 2_000, interval: 50 }).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-phone.png`, fullPage: true });
    expect(existsSync(`${ARTIFACTS}/dashboard.png`)).toBe(true);
    expect(browserErrors).toEqual([]);
  });
});

describe.skipIf(CHROMIUM === undefined)('the dashboard where the stage has no live channel', () => {
  let runtime: LocalRuntime;
  let browser: Browser;

  beforeAll(async () => {
    await buildDashboard({ ifMissing: true });
    // As on LocalStack's free plan or MiniStack: live off, so GET /live is 404.
    runtime = await startTestRuntime({ params: { live: 'off' } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
  });

  it('says so and polls GET /devices: a device that appears later is shown', async () => {
    const page = await browser.newPage();
    await page.goto(`${runtime.url}/dashboard?key=${encodeURIComponent(READ_ONLY_KEY)}`);
    await expect.poll(() => page.getByTestId('live-state').innerText(), { timeout: 10_000 }).toBe('Polling every 5 s');
    const later = uniqueMac();
    expect((await postJson(runtime.url, '/devices', [{ host_name: 'LATE1', device_type: 'Switch', operating_system: 'IOS', mac_address: later, ip_address: '172.16.101.9' }])).status).toBe(202);
    await page.locator(`tr[data-mac="${later}"]`).waitFor({ timeout: 15_000 });
    expect(await page.locator(`tr[data-mac="${later}"]`).innerText()).toContain('LATE1');
    await page.close();
  });
});
