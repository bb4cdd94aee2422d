import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { label, type Device } from './model.ts';

const UP = '#0b57d0';
const DOWN = '#a14a00';

function data(device: Device): uPlot.AlignedData {
  return [device.series.map((p) => p.t), device.series.map((p) => p.up), device.series.map((p) => p.down)];
}

/** A device's upload and download over its last snapshots (uPlot), with a text equivalent. */
export function SpeedChart({ device }: { device: Device }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const element = host.current;
    if (element === null) return;
    const width = () => Math.max(240, element.clientWidth);
    const chart = new uPlot(
      {
        width: width(),
        height: 220,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [{}, { label: 'Mbps', size: 50 }],
        series: [
          {},
          { label: 'Upload (Mbps)', stroke: UP, width: 2, dash: [6, 4], points: { show: true, size: 5 } },
          { label: 'Download (Mbps)', stroke: DOWN, width: 2, points: { show: true, size: 5 } },
        ],
      },
      [[], [], []],
      element,
    );
    plot.current = chart;
    const observer = new ResizeObserver(() => chart.setSize({ width: width(), height: 220 }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    const chart = plot.current;
    if (chart === null) return;
    chart.setData(data(device));
    // uPlot widens a single time point to 86400 / 1e-3 s (years): show ten minutes around it.
    const only = device.series.length === 1 ? device.series[0] : undefined;
    if (only !== undefined) chart.setScale('x', { min: only.t - 300, max: only.t + 300 });
  }, [device]);

  const last = device.series.at(-1);
  return (
    <figure class="chart" data-testid="device-chart" data-mac={device.mac} data-points={device.series.length} data-last={last === undefined ? '' : `${last.t}:${last.up}:${last.down}`}>
      <figcaption>
        <h3 id="chart-title">Speed of {label(device)}</h3>
        <p data-testid="chart-latest" aria-live="polite">
          {last === undefined
            ? 'No speed readings yet.'
            : `Latest of ${device.series.length} reading${device.series.length === 1 ? '' : 's'}: upload ${last.up} Mbps, download ${last.down} Mbps at ${new Date(last.t * 1000).toLocaleTimeString()}.`}
        </p>
      </figcaption>
      <div ref={host} role="img" aria-labelledby="chart-title" aria-describedby="chart-text" />
      <p id="chart-text" class="visually-hidden">
        Upload is the dashed blue line, download the solid brown line; time runs along the horizontal axis, Mbps up the vertical one.
      </p>
    </figure>
  );
}
