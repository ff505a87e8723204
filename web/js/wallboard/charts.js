// wallboard/charts.js: volume (offered, answered, abandoned) and service
// level per 15-minute interval over the last hours, from
// GET /v1/reports/intervals?group_by=queue&interval=15, drawn with uPlot
// (/vendor/uPlot.esm.js, loaded on demand so the rest of the wallboard
// works without it).  Refreshed every minute; all visible queues summed,
// or one queue.
import { api, h, errorText } from '../api.js';
import { clock, pct } from './util.js';

const HOURS = 8;
const INTERVAL_MIN = 15;
const COLORS = { offered: '#1f5fbf', answered: '#1b7f3b', abandoned: '#b3261e', sl: '#6a3fb5', target: '#a86500' };

function utcDate(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

// Add report rows up per interval start: {starts: [ms], offered, answered,
// abandoned, sl: [0..100|null]} over [from, to].
export function aggregate(rows, queues, from, to) {
  const by = new Map();
  for (const r of rows) {
    if (queues && !queues.has(r.queue)) continue;
    if (r.start_ms < from || r.start_ms > to) continue;
    let a = by.get(r.start_ms);
    if (!a) {
      a = { offered: 0, answered: 0, abandoned: 0, short: 0, inSl: 0 };
      by.set(r.start_ms, a);
    }
    a.offered += r.offered || 0;
    a.answered += r.answered || 0;
    a.abandoned += r.abandoned || 0;
    a.short += r.short_abandoned || 0;
    a.inSl += r.answered_in_sl || 0;
  }
  const starts = [...by.keys()].sort((x, y) => x - y);
  const pick = (f) => starts.map((s) => f(by.get(s)));
  return {
    starts,
    offered: pick((a) => a.offered),
    answered: pick((a) => a.answered),
    abandoned: pick((a) => a.abandoned),
    // SL is recomputed from the summed counters, never averaged.
    sl: pick((a) => {
      const den = a.answered + a.abandoned - a.short;
      return den > 0 ? (100 * a.inSl) / den : null;
    }),
    totals: {
      offered: [...by.values()].reduce((n, a) => n + a.offered, 0),
      answered: [...by.values()].reduce((n, a) => n + a.answered, 0),
      abandoned: [...by.values()].reduce((n, a) => n + a.abandoned, 0),
      inSl: [...by.values()].reduce((n, a) => n + a.inSl, 0),
      short: [...by.values()].reduce((n, a) => n + a.short, 0),
    },
  };
}

export class ChartsView {
  // root: the section; queues: visible queue ids; configs: id -> config.
  constructor({ root, picker, volumeBox, slBox, status, summary, queues, configs }) {
    this.root = root;
    this.picker = picker;
    this.volumeBox = volumeBox;
    this.slBox = slBox;
    this.status = status;
    this.summary = summary;
    this.queues = queues;
    this.configs = configs;
    this.rows = [];
    this.uPlot = null;
    this.volume = null;
    this.slChart = null;
    picker.replaceChildren(h('option', { value: '' }, 'All my queues'), ...queues.map((q) => h('option', { value: q }, q)));
    picker.addEventListener('change', () => this.draw());
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(volumeBox);
  }

  async start() {
    try {
      const mod = await import('/vendor/uPlot.esm.js');
      this.uPlot = mod.default;
    } catch (e) {
      this.status.textContent = `Charts are unavailable (uPlot did not load: ${e.message || e}).`;
      this.status.classList.add('error');
      return;
    }
    await this.refresh();
    this.timer = setInterval(() => this.refresh(), 60000);
  }

  async refresh() {
    const now = clock.now();
    const from = now - HOURS * 3600 * 1000;
    try {
      const doc = await api('GET', `/v1/reports/intervals?group_by=queue&interval=${INTERVAL_MIN}&from=${utcDate(from)}&to=${utcDate(now)}`);
      this.rows = doc.rows || [];
      this.status.textContent = `Updated ${new Date().toLocaleTimeString([], { hour12: false })}. An interval appears once it has closed.`;
      this.status.classList.remove('error');
    } catch (e) {
      this.status.textContent = `Could not load the report: ${errorText(e)}`;
      this.status.classList.add('error');
      return;
    }
    this.draw();
  }

  width(box) {
    return Math.max(240, Math.floor(box.clientWidth || 400));
  }

  draw() {
    if (!this.uPlot) return;
    const uPlot = this.uPlot;
    const q = this.picker.value;
    const now = clock.now();
    const step = INTERVAL_MIN * 60000;
    const from = Math.floor((now - HOURS * 3600 * 1000) / step) * step;
    const agg = aggregate(this.rows, new Set(q ? [q] : this.queues), from, now);
    const xs = agg.starts.map((ms) => ms / 1000);
    // From the first interval shown to the end of the last one (so its bar shows).
    const xRange = [from / 1000, ((agg.starts.length ? agg.starts[agg.starts.length - 1] : Math.floor(now / step) * step) + step) / 1000];
    const cfg = q ? this.configs.get(q) : null;
    const target = cfg && cfg.service_level && typeof cfg.service_level.target === 'number' ? cfg.service_level.target * 100 : null;

    const t = agg.totals;
    const den = t.answered + t.abandoned - t.short;
    this.summary.textContent = `Last ${HOURS} hours, ${q || 'all my queues'}: ${t.offered} offered, ${t.answered} answered, `
      + `${t.abandoned} abandoned; service level ${pct(den > 0 ? t.inSl / den : null)}${target !== null ? ` (target ${target} %)` : ''}.`;

    const hhmm = (sec) => new Date(sec * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });
    const timeAxis = {
      stroke: '#5b6475', grid: { stroke: '#eceef2' }, ticks: { stroke: '#d8dce3' },
      values: (u, splits) => splits.map(hhmm),
    };
    const countAxis = {
      stroke: '#5b6475', grid: { stroke: '#eceef2' }, ticks: { stroke: '#d8dce3' }, size: 56,
      incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
      values: (u, vals) => vals.map((v) => (Number.isInteger(v) ? String(v) : '')),
    };
    const bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 40], align: 1 }) : undefined;

    const volOpts = {
      width: this.width(this.volumeBox),
      height: 190,
      scales: { x: { time: true, range: () => xRange }, y: { range: (u, min, max) => [0, Math.max(4, Math.ceil((max || 0) * 1.2))] } },
      series: [
        {},
        { label: 'Offered', stroke: COLORS.offered, fill: 'rgba(31,95,191,0.18)', paths: bars, points: { show: false } },
        { label: 'Answered', stroke: COLORS.answered, width: 2, points: { show: false } },
        { label: 'Abandoned', stroke: COLORS.abandoned, width: 2, dash: [6, 4], points: { show: false } },
      ],
      axes: [timeAxis, countAxis],
    };
    const slSeries = [{}, { label: 'Service level %', stroke: COLORS.sl, width: 2, spanGaps: false }];
    const slData = [xs, agg.sl];
    if (target !== null) {
      slSeries.push({ label: 'Target %', stroke: COLORS.target, width: 1, dash: [4, 4], points: { show: false } });
      slData.push(xs.map(() => target));
    }
    const slOpts = {
      width: this.width(this.slBox),
      height: 190,
      scales: { x: { time: true, range: () => xRange }, y: { range: [0, 100] } },
      series: slSeries,
      axes: [timeAxis, { ...countAxis, incrs: [10, 20, 25, 50], values: (u, vals) => vals.map((v) => `${v} %`) }],
    };

    if (this.volume) this.volume.destroy();
    if (this.slChart) this.slChart.destroy();
    this.volume = new uPlot(volOpts, [xs, agg.offered, agg.answered, agg.abandoned], this.volumeBox);
    this.slChart = new uPlot(slOpts, slData, this.slBox);
  }

  resize() {
    if (this.volume) this.volume.setSize({ width: this.width(this.volumeBox), height: 190 });
    if (this.slChart) this.slChart.setSize({ width: this.width(this.slBox), height: 190 });
  }
}
