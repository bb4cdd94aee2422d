import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, fetchDevices, fetchProtocols, openLive, type LiveState } from './api.ts';
import { SpeedChart } from './chart.tsx';
import { label, summarize, type Device } from './model.ts';
import './style.css';

const KEY_STORAGE = 'netingest.apiKey';
const PROTOCOL_REFRESH_MS = 10_000;

/** ?key= wins (and is moved out of the address bar), else the session's key. */
function initialKey(): string {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('key');
  if (fromUrl !== null && fromUrl !== '') {
    sessionStorage.setItem(KEY_STORAGE, fromUrl);
    url.searchParams.delete('key');
    history.replaceState(null, '', url);
    return fromUrl;
  }
  return sessionStorage.getItem(KEY_STORAGE) ?? '';
}

function KeyForm({ onKey, error }: { onKey: (key: string) => void; error: string | null }) {
  const [value, setValue] = useState('');
  return (
    <form
      class="card key-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (value.trim() !== '') onKey(value.trim());
      }}
    >
      <h2>Connect</h2>
      <label for="api-key">API key (read scope)</label>
      <input id="api-key" name="api-key" type="password" autocomplete="off" required value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      <button type="submit">Show the network</button>
      <p class="hint">The key is kept for this browser tab only (session storage).</p>
      {error !== null && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </form>
  );
}

const LIVE_TEXT: Record<LiveState, string> = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', polling: 'Polling every 5 s', failed: 'Live updates unavailable' };
/** How often the page asks GET /devices where the deployment has no live channel. */
const DEVICE_POLL_MS = 5_000;

function Dashboard({ apiKey, onLogout }: { apiKey: string; onLogout: (error: string | null) => void }) {
  const [devices, setDevices] = useState<Device[] | null>(null);
  const [source, setSource] = useState<'http' | 'live'>('http');
  const [protocols, setProtocols] = useState<Record<string, number> | null>(null);
  const [rate, setRate] = useState<number | null>(null);
  const [live, setLive] = useState<{ state: LiveState; detail?: string }>({ state: 'connecting' });
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const lastCount = useRef<{ at: number; total: number } | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    let stopLive: (() => void) | undefined;
    let gotLive = false;
    let pollTimer: ReturnType<typeof setInterval> | undefined;
    const fail = (e: unknown) => {
      if (controller.signal.aborted) return;
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) onLogout(e.message);
      else setError((e as Error).message);
    };
    const refreshProtocols = async () => {
      const counts = await fetchProtocols(apiKey, controller.signal);
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      const now = Date.now();
      const previous = lastCount.current;
      if (previous !== null && now > previous.at) setRate(Math.max(0, (total - previous.total) / ((now - previous.at) / 1000)));
      lastCount.current = { at: now, total };
      setProtocols(counts);
    };
    // Paint from HTTP first, then stay live over the socket.
    Promise.all([fetchDevices(apiKey, controller.signal), refreshProtocols()])
      .then(([list]) => {
        if (!gotLive) setDevices(list);
        stopLive = openLive(
          apiKey,
          (list) => {
            gotLive = true;
            setSource('live');
            setDevices(list);
          },
          (state, detail) => {
            setLive({ state, detail });
            if (state === 'polling' && pollTimer === undefined) {
              pollTimer = setInterval(() => {
                if (document.visibilityState === 'visible') fetchDevices(apiKey, controller.signal).then(setDevices).catch(fail);
              }, DEVICE_POLL_MS);
            }
          },
        );
      })
      .catch(fail);
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') refreshProtocols().catch(fail);
    }, PROTOCOL_REFRESH_MS);
    return () => {
      controller.abort();
      clearInterval(timer);
      clearInterval(pollTimer);
      stopLive?.();
    };
  }, [apiKey]);

  const summary = useMemo(() => summarize(devices ?? []), [devices]);
  const current = devices?.find((d) => d.mac === selected) ?? devices?.[0];
  const sortedProtocols = useMemo(() => Object.entries(protocols ?? {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])), [protocols]);

  return (
    <>
      <div class="toolbar">
        <p class={`live live-${live.state}`} role="status" data-testid="live-state" title={live.detail}>
          <span class="dot" aria-hidden="true" />
          {LIVE_TEXT[live.state]}
          {live.state === 'failed' && live.detail !== undefined ? `: ${live.detail}` : ''}
        </p>
        <button type="button" class="secondary" onClick={() => onLogout(null)}>
          Change API key
        </button>
      </div>
      {error !== null && (
        <p role="alert" class="error">
          {error}
        </p>
      )}

      <section aria-labelledby="summary-title" class="card">
        <h2 id="summary-title">Summary</h2>
        <dl class="summary" data-testid="summary">
          <div>
            <dt>Connected devices</dt>
            <dd>{devices === null ? '…' : `${summary.connected} of ${summary.total}`}</dd>
          </div>
          <div>
            <dt>Total upload</dt>
            <dd>{devices === null ? '…' : `${summary.up} Mbps`}</dd>
          </div>
          <div>
            <dt>Total download</dt>
            <dd>{devices === null ? '…' : `${summary.down} Mbps`}</dd>
          </div>
          <div>
            <dt>Packet-table rows stored</dt>
            <dd title="From the protocol counts, refreshed every 10 s">{rate === null ? 'measuring…' : `${rate.toFixed(1)} /s`}</dd>
          </div>
        </dl>
      </section>

      <section aria-labelledby="devices-title" class="card">
        <h2 id="devices-title">Devices</h2>
        {devices === null ? (
          <p aria-busy="true">Loading devices…</p>
        ) : devices.length === 0 ? (
          <p>No devices yet.</p>
        ) : (
          <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="devices-title">
            <table data-testid="devices" data-source={source}>
              <caption class="visually-hidden">Devices, with their status and latest speeds; choose one to chart it</caption>
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">
                    Up (Mbps)
                  </th>
                  <th scope="col" class="num">
                    Down (Mbps)
                  </th>
                  <th scope="col" class="wide">
                    MAC
                  </th>
                  <th scope="col" class="wide">
                    IP
                  </th>
                  <th scope="col" class="wide">
                    Type
                  </th>
                </tr>
              </thead>
              <tbody>
                {devices.map((d) => (
                  <tr key={d.mac} data-mac={d.mac} class={d.mac === current?.mac ? 'selected' : undefined}>
                    <th scope="row">
                      <button type="button" class="link" aria-pressed={d.mac === current?.mac} onClick={() => setSelected(d.mac)}>
                        {label(d)}
                      </button>
                      {d.simulated ? (
                        <span class="tag" title="a device of the simulated network, not of a client">
                          simulated
                        </span>
                      ) : null}
                    </th>
                    <td>
                      <span class={`status ${d.connected ? 'on' : 'off'}`}>
                        <span class="dot" aria-hidden="true" />
                        {d.connected ? 'Connected' : 'Disconnected'}
                      </span>
                    </td>
                    <td class="num" data-field="up">
                      {d.up}
                    </td>
                    <td class="num" data-field="down">
                      {d.down}
                    </td>
                    <td class="wide mono">{d.mac}</td>
                    <td class="wide mono">{d.ip ?? '—'}</td>
                    <td class="wide">{[d.type, d.os].filter((x) => x !== null).join(' · ') || '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="chart-section-title" class="card">
        <h2 id="chart-section-title">Device speed</h2>
        {current === undefined ? <p>Choose a device to chart its speed.</p> : <SpeedChart device={current} />}
      </section>

      <section aria-labelledby="protocols-title" class="card">
        <h2 id="protocols-title">Protocol counts</h2>
        {protocols === null ? (
          <p aria-busy="true">Loading…</p>
        ) : sortedProtocols.length === 0 ? (
          <p>No packets yet.</p>
        ) : (
          <table class="protocols" data-testid="protocols">
            <caption class="visually-hidden">Packets stored per protocol layer</caption>
            <thead>
              <tr>
                <th scope="col">Protocol</th>
                <th scope="col" class="num">
                  Packets
                </th>
              </tr>
            </thead>
            <tbody>
              {sortedProtocols.map(([name, count]) => (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  <td class="num">{count.toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

function App() {
  const [key, setKey] = useState(initialKey);
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <header>
        <h1>netingest · live network</h1>
      </header>
      <main>
        {key === '' ? (
          <KeyForm
            error={error}
            onKey={(value) => {
              sessionStorage.setItem(KEY_STORAGE, value);
              setError(null);
              setKey(value);
            }}
          />
        ) : (
          <Dashboard
            key={key}
            apiKey={key}
            onLogout={(reason) => {
              sessionStorage.removeItem(KEY_STORAGE);
              setError(reason);
              setKey('');
            }}
          />
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
