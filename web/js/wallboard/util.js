// wallboard/util.js: what the wallboard's parts share: the server's clock
// (figures carry the server's `at`; the page ticks from it), number
// formats and a per-key coalescing scheduler.

// The server's time as the page estimates it: every figure and event says
// when it was made (`at`), so the offset to the browser's clock is known
// to within the network delay.  Times in state and waits are computed
// against this clock so a browser whose clock is off still shows them right.
export const clock = {
  offset: 0,
  known: false,
  sync(at) {
    if (typeof at !== 'number' || !Number.isFinite(at)) return;
    const off = at - Date.now();
    // Keep the latest estimate, but never let one late message move the
    // clock backwards by more than a second or so.
    if (!this.known || off > this.offset - 1500) this.offset = off;
    this.known = true;
  },
  now() {
    return Date.now() + this.offset;
  },
};

// 0.8 -> "80 %", 0.6667 -> "66.7 %", null -> "–".
export function pct(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const v = Math.round(x * 1000) / 10;
  return `${v} %`;
}

export function num(n) {
  return n === null || n === undefined ? '–' : String(n);
}

// "1 agent" / "3 agents".
export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

// "is" / "are" for a count.
export function isAre(n) {
  return n === 1 ? 'is' : 'are';
}

// Local time of day, "14:05:09".
export function clockTime(ms) {
  const d = new Date(ms);
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

export const STATE_LABEL = {
  logged_out: 'Logged out',
  not_ready: 'Not ready',
  ready: 'Ready',
  wrap_up: 'Wrap-up',
  not_responding: 'Not responding',
  busy: 'Busy',
};

export function stateLabel(s) {
  return STATE_LABEL[s] || String(s || '–').replace(/_/g, ' ');
}

// Run fn(key) at most once per `wait` ms per key; a call while a run is in
// flight runs it once more afterwards (so the last change is never lost).
export function coalescer(fn, wait = 150) {
  const pending = new Map(); // key -> {timer, running, again}
  const schedule = (key) => {
    let p = pending.get(key);
    if (!p) {
      p = { timer: null, running: false, again: false };
      pending.set(key, p);
    }
    if (p.running) {
      p.again = true;
      return;
    }
    if (p.timer) return;
    p.timer = setTimeout(async () => {
      p.timer = null;
      p.running = true;
      try {
        await fn(key);
      } catch (e) {
        console.warn('wallboard: refresh of', key, 'failed:', e && e.message ? e.message : e);
      } finally {
        p.running = false;
        pending.delete(key);
        if (p.again) schedule(key);
      }
    }, wait);
  };
  return schedule;
}
