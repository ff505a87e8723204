// desktop/live.js: the event stream for the desktop.  Stream (stream.js)
// resumes after a drop; this adds what the desktop needs on top: the
// server refuses a whole subscribe when one topic is no longer visible
// (an interaction that ended while we were away cannot be subscribed to
// by an agent), so such a topic is dropped and the rest subscribed again,
// and the page is told (onGone) to reload what it shows.
import { Stream } from '../stream.js';

export class DeskStream extends Stream {
  connect() {
    super.connect();
    const ws = this.ws;
    const inner = ws.onmessage;
    ws.onmessage = (m) => {
      let msg = null;
      try {
        msg = JSON.parse(m.data);
      } catch {
        /* Stream ignores it too */
      }
      if (msg && msg.type === 'error' && msg.code === 'unknown_topic') {
        const match = /'([^']*)'/.exec(msg.detail || '');
        const bad = match ? match[1] : null;
        const keep = this.topics.filter((t) => t !== bad && (bad || !t.startsWith('interaction:')));
        this.topics = keep.length ? keep : this.topics.slice(0, 1);
        if (this.onGone) this.onGone(bad);
        if (ws.readyState === WebSocket.OPEN) {
          const sub = { type: 'subscribe', topics: this.topics };
          if (this.after !== null) sub.after = this.after;
          ws.send(JSON.stringify(sub));
        }
        return;
      }
      if (msg && msg.type === 'error' && msg.code === 'resume_gap' && this.onGap) this.onGap();
      inner(m);
    };
  }

  // Subscribe to these topics, unless they are the ones already asked for.
  setTopics(topics) {
    const a = [...topics].sort().join(' ');
    const b = [...this.topics].sort().join(' ');
    if (a !== b) this.resubscribe(topics);
  }
}
