// desktop/util.js: what the desktop's parts share: the server's clock,
// one ticker for every live time on the page, names for states and
// channels, and a small debouncer.
import { duration } from '../api.js';

// The server's clock minus ours (ms).  Times from the server (state_since,
// offer and wrap-up deadlines) are compared with now(); a browser whose
// clock is off by seconds would otherwise show wrong countdowns.
let skew = 0;
export function now() {
  return Date.now() + skew;
}

// The Date header is to the second: only a clear difference is used.
export async function measureSkew() {
  try {
    const t0 = Date.now();
    const res = await fetch('/v1/health', { cache: 'no-store' });
    const t1 = Date.now();
    const date = Date.parse(res.headers.get('Date') || '');
    if (!Number.isNaN(date)) {
      const d = date + 500 - (t0 + t1) / 2;
      skew = Math.abs(d) > 2000 ? d : 0;
    }
  } catch {
    /* offline: keep the last one */
  }
}

// Live times: an element with data-since="MS" shows the time elapsed since
// then; data-deadline="MS" the time left (data-expired="text" once past).
// One timer updates every one of them each second.
export function tick() {
  const t = now();
  for (const el of document.querySelectorAll('[data-since]')) {
    el.textContent = duration(t - Number(el.dataset.since));
  }
  for (const el of document.querySelectorAll('[data-deadline]')) {
    const left = Number(el.dataset.deadline) - t;
    el.textContent = left > 0 ? duration(left + 999) : el.dataset.expired || '0 s';
    el.classList.toggle('urgent', left < 10000);
  }
}
setInterval(tick, 1000);

export const STATE_NAMES = {
  logged_out: 'Logged out',
  not_ready: 'Not ready',
  ready: 'Ready',
  wrap_up: 'Wrap-up',
  not_responding: 'Not responding',
};

export const IX_STATE_NAMES = {
  queued: 'Waiting',
  offered: 'Offered',
  connected: 'Connected',
  wrap_up: 'Wrap-up',
  completed: 'Completed',
  abandoned: 'Abandoned',
  canceled: 'Canceled',
  ended: 'Ended',
};

export const CHANNEL_NAMES = {
  voice: 'Call',
  chat: 'Chat',
  email: 'E-mail',
  message: 'Message',
  callback: 'Callback',
  task: 'Task',
};

const EVENT_NAMES = {
  'interaction.created': 'Created',
  'interaction.queued': 'Queued',
  'interaction.step': 'Widened to the next step',
  'interaction.offered': 'Offered',
  'interaction.accepted': 'Accepted',
  'interaction.rejected': 'Rejected',
  'interaction.timed_out': 'Offer timed out',
  'interaction.withdrawn': 'Offer withdrawn',
  'interaction.wrap_up': 'Wrap-up started',
  'interaction.completed': 'Completed',
  'interaction.abandoned': 'Customer left',
  'interaction.canceled': 'Canceled',
  'interaction.ended': 'Ended',
  'interaction.transferred': 'Transferred',
  'interaction.overflowed': 'Overflowed',
  'interaction.preferred': 'Preferred agent set',
  'interaction.attributes': 'Attributes changed',
};

export function eventName(ev) {
  return EVENT_NAMES[ev] || ev;
}

export function channelName(ch) {
  return CHANNEL_NAMES[ch] || ch || '?';
}

// "14:03:07" today, "12 Mar 14:03" another day.
export function clock(ms) {
  if (!ms) return '';
  const d = new Date(ms);
  const today = new Date(now());
  if (d.toDateString() === today.toDateString()) {
    return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }
  return d.toLocaleString([], { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

// Who the customer is: the chat contact's name (and e-mail), else the
// interaction's customer id.
export function customerOf(ix) {
  const c = ix && ix.contact;
  if (c && (c.name || c.email)) return { name: c.name || c.email, detail: c.name && c.email ? c.email : '' };
  return { name: (ix && ix.customer) || 'Unknown customer', detail: '' };
}

// The deadline of the interaction's last wrap-up (from its history), or 0.
export function wrapDeadline(ix) {
  const hist = (ix && ix.history) || [];
  for (let i = hist.length - 1; i >= 0; i--) {
    if (hist[i].event === 'interaction.wrap_up') return hist[i].deadline || 0;
  }
  return 0;
}

// debounce(f, ms): call f once, ms after the last request; a request while
// f runs makes it run once more afterwards.
export function debounce(f, ms) {
  let timer = null;
  let running = false;
  let again = false;
  const run = async () => {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await f();
    } finally {
      running = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  };
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, ms);
  };
  return schedule;
}
