import { fromLive, fromView, type Device, type HttpDeviceView, type LiveDevice } from './model.ts';
import { nextPage } from './next-page.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Where the API is: the page is its /dashboard, and the API is not always at its host's root
 * (a REST API's stage, an emulator's path-style URL). Paths below are from the API's root.
 */
const API_ROOT = location.pathname.replace(/\/dashboard\/?$/, '');

async function request(path: string, key: string, signal: AbortSignal): Promise<{ body: unknown; link: string | null }> {
  const response = await fetch(`${API_ROOT}${path}`, { headers: { 'x-api-key': key, accept: 'application/json' }, signal });
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const message = (body as { message?: unknown } | undefined)?.message;
    const reason = response.status === 401 ? 'the API key was not accepted' : response.status === 403 ? 'the API key lacks the read scope' : typeof message === 'string' ? message : response.statusText;
    throw new ApiError(response.status, `${path.split('?')[0]}: ${response.status} (${reason})`);
  }
  return { body, link: response.headers.get('link') };
}

/** Every page of GET /devices (Link rel="next"), up to a bound that keeps the page quick. */
export async function fetchDevices(key: string, signal: AbortSignal): Promise<Device[]> {
  const devices: Device[] = [];
  let path: string | null = '/devices?limit=200&snapshots=60&applications=0&interfaces=0';
  for (let page = 0; path !== null && page < 20; page++) {
    const { body, link }: { body: unknown; link: string | null } = await request(path, key, signal);
    for (const view of body as HttpDeviceView[]) devices.push(fromView(view));
    path = nextPage(link, path) ?? null;
  }
  return devices;
}

export async function fetchProtocols(key: string, signal: AbortSignal): Promise<Record<string, number>> {
  return (await request('/packets/tables/all', key, signal)).body as Record<string, number>;
}

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'polling' | 'failed';

/**
 * Keeps a live socket open: asks GET /live for a URL (its token is good for five minutes
 * to connect), opens it, and after a close asks again, backing off up to 30 s. Where GET /live
 * is 404 it reports 'polling', and the page polls GET /devices instead. Returns what stops it.
 */
export function openLive(key: string, onDevices: (devices: Device[]) => void, onState: (state: LiveState, detail?: string) => void): () => void {
  let stopped = false;
  let socket: WebSocket | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  const controller = new AbortController();

  const retry = (detail: string) => {
    if (stopped) return;
    failures++;
    onState('reconnecting', detail);
    timer = setTimeout(connect, Math.min(30_000, 1000 * 2 ** Math.min(failures - 1, 5)));
  };

  async function connect(): Promise<void> {
    let url: string;
    try {
      url = ((await request('/live', key, controller.signal)).body as { url: string }).url;
    } catch (error) {
      if (stopped) return;
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return onState('failed', error.message);
      // A stage without the live channel (live: off).
      if (error instanceof ApiError && error.status === 404) return onState('polling', 'this deployment has no live channel');
      return retry((error as Error).message);
    }
    if (stopped) return;
    const ws = new WebSocket(url);
    socket = ws;
    ws.addEventListener('open', () => {
      failures = 0;
      onState('live');
    });
    ws.addEventListener('message', (event) => {
      try {
        onDevices((JSON.parse(String(event.data)) as LiveDevice[]).map(fromLive));
      } catch {
        // A message that is not the device array is ignored; the next one replaces it.
      }
    });
    ws.addEventListener('close', () => {
      if (socket === ws) retry('the live connection closed');
    });
  }

  onState('connecting');
  void connect();
  return () => {
    stopped = true;
    controller.abort();
    clearTimeout(timer);
    socket?.close();
  };
}
