// stream.js: the event stream (/v1/stream) with resume.  It reconnects by
// itself (1, 2, 4 ... 15 s) and asks for everything after the last
// sequence it saw, so a dropped connection or a server restart loses no
// event.  onEvent gets each {"type": "event"...}; onStats each stats push;
// onState('open' | 'closed').
export class Stream {
  constructor({ topics, onEvent, onStats, onState, url = '/v1/stream', after = null }) {
    this.topics = topics;
    this.onEvent = onEvent || (() => {});
    this.onStats = onStats || (() => {});
    this.onState = onState || (() => {});
    this.url = url;
    this.after = after;
    this.delay = 1000;
    this.closed = false;
    this.connect();
  }

  connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = this.url.startsWith('ws') ? this.url : `${proto}//${location.host}${this.url}`;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => {
      this.delay = 1000;
      const msg = { type: 'subscribe', topics: this.topics };
      if (this.after !== null) msg.after = this.after;
      ws.send(JSON.stringify(msg));
    };
    ws.onmessage = (m) => {
      let msg;
      try {
        msg = JSON.parse(m.data);
      } catch {
        return;
      }
      if (msg.type === 'subscribed') {
        if (this.after === null) this.after = msg.seq;
        this.onState('open');
      } else if (msg.type === 'event') {
        if (this.after !== null && msg.seq <= this.after) return;
        this.after = msg.seq;
        this.onEvent(msg);
      } else if (msg.type === 'stats') {
        this.onStats(msg);
      } else if (msg.type === 'typing') {
        this.onEvent(msg);
      } else if (msg.type === 'error' && msg.code === 'resume_gap') {
        this.after = null; // too old: start from now; the page reloads its state
      }
    };
    ws.onclose = (e) => {
      this.onState('closed', e.code);
      if (this.closed || e.code === 4401) return;
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 15000);
    };
  }

  // Change topics (e.g. after a new interaction), keeping the position.
  resubscribe(topics) {
    this.topics = topics;
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      const msg = { type: 'subscribe', topics };
      if (this.after !== null) msg.after = this.after;
      this.ws.send(JSON.stringify(msg));
    }
  }

  close() {
    this.closed = true;
    if (this.ws) this.ws.close(1000);
  }
}
