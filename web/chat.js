/* chat.js: Switchboard's web chat widget, for a business's own pages:
 *
 *   <script src="https://SERVER/chat.js" data-queue="support" data-tenant="default"></script>
 *
 * It runs on the host page (another origin, under that page's CSP): the
 * server is where this script came from; everything it draws lives in a
 * shadow root, styled by a constructed stylesheet (no inline style the
 * host's CSP could refuse), built with DOM calls (no HTML parsing of what
 * anyone typed).  It talks to the server with fetch (the chat routes
 * answer CORS) and the customer token, and listens on a WebSocket.  The
 * token is kept in localStorage, per server, tenant and queue, so a
 * reload or a dropped connection carries on with the same conversation.
 * Optional attributes: data-title (the panel's title), data-open (open at
 * once). */
(function () {
  'use strict';
  var script = document.currentScript || document.querySelector('script[src*="/chat.js"][data-queue]');
  if (!script || !script.src || window.__switchboardChat) return;
  window.__switchboardChat = true;

  var ORIGIN = new URL(script.src, location.href).origin;
  var WS_ORIGIN = ORIGIN.replace(/^http/, 'ws');
  var QUEUE = script.getAttribute('data-queue') || 'support';
  var TENANT = script.getAttribute('data-tenant') || 'default';
  var TITLE = script.getAttribute('data-title') || 'Chat with us';
  var KEY = 'switchboard-chat:' + ORIGIN + '|' + TENANT + '|' + QUEUE;
  var ENDED = { wrap_up: 1, completed: 1, abandoned: 1, canceled: 1, ended: 1 };
  var WAITING = { queued: 1, offered: 1 };

  var CSS = [
    ':host { all: initial; }',
    '* { box-sizing: border-box; }',
    '.root { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; font-size: 15px; line-height: 1.35; color: #1d2330; }',
    '[hidden] { display: none !important; }',
    'button, input, textarea { font: inherit; }',
    ':focus-visible { outline: 3px solid #8ab4f8; outline-offset: 1px; }',
    '.launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; border: 0; border-radius: 999px; background: #1f5fbf; color: #fff;',
    '  padding: 12px 20px; font-weight: 700; box-shadow: 0 4px 14px rgba(0,0,0,.25); cursor: pointer; }',
    '.launcher .dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; background: #ffd166; margin-left: 8px; }',
    '.panel { position: fixed; right: 20px; bottom: 84px; z-index: 2147483001; width: 370px; height: min(580px, calc(100vh - 110px));',
    '  display: flex; flex-direction: column; background: #fff; border-radius: 12px; box-shadow: 0 8px 30px rgba(0,0,0,.3); overflow: hidden; }',
    '.head { display: flex; align-items: center; gap: 8px; background: #1f5fbf; color: #fff; padding: 10px 12px; }',
    '.head h2 { margin: 0; font-size: 17px; flex: 1; }',
    '.head button { background: transparent; color: #fff; border: 1px solid rgba(255,255,255,.6); border-radius: 6px; padding: 2px 12px; font-size: 18px; line-height: 1.2; cursor: pointer; }',
    '.status { margin: 0; padding: 7px 12px; background: #eef3fb; color: #1d2330; font-size: 14px; border-bottom: 1px solid #d8dce3; min-height: 1.3em; }',
    '.status:empty { display: none; }',
    '.status.warn { background: #fcefd6; color: #6b4100; }',
    '.body { flex: 1; min-height: 0; display: flex; flex-direction: column; padding: 10px 12px; gap: 8px; overflow-y: auto; }',
    '.start { display: flex; flex-direction: column; gap: 4px; }',
    '.start p { margin: 0 0 6px; color: #5b6475; }',
    'label { font-weight: 600; font-size: 14px; margin-top: 6px; }',
    'input, textarea { width: 100%; border: 1px solid #b9c0cc; border-radius: 6px; padding: 8px; background: #fff; color: #1d2330; }',
    'textarea { resize: none; min-height: 64px; }',
    '.primary { background: #1f5fbf; color: #fff; border: 1px solid #1f5fbf; border-radius: 6px; padding: 9px 14px; font-weight: 600; cursor: pointer; }',
    '.secondary { background: #fff; color: #1f5fbf; border: 1px solid #1f5fbf; border-radius: 6px; padding: 6px 12px; cursor: pointer; }',
    'button:disabled { opacity: .5; cursor: default; }',
    '.error { color: #b3261e; margin: 4px 0 0; font-size: 14px; min-height: 1em; }',
    '.transcript { list-style: none; margin: 0; padding: 0; flex: 1; min-height: 0; overflow-y: auto; display: flex; flex-direction: column; gap: 8px; }',
    '.msg { max-width: 82%; padding: 7px 10px; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }',
    '.msg .who { display: block; font-size: 12px; font-weight: 600; color: #5b6475; margin-bottom: 2px; }',
    '.msg.customer { align-self: flex-end; background: #1f5fbf; color: #fff; border-bottom-right-radius: 3px; }',
    '.msg.customer .who { color: #dbe7fb; }',
    '.msg.agent { align-self: flex-start; background: #eef0f4; border: 1px solid #d5d9e1; border-bottom-left-radius: 3px; }',
    '.msg.system, .notice { align-self: center; color: #5b6475; font-style: italic; font-size: 13px; text-align: center; max-width: 95%; }',
    '.msg.pending { opacity: .6; }',
    '.typing { margin: 0; color: #5b6475; font-style: italic; font-size: 13px; min-height: 1.2em; }',
    '.composer { display: flex; flex-direction: column; gap: 4px; border-top: 1px solid #d8dce3; padding: 8px 12px; }',
    '.composer .row { display: flex; gap: 6px; align-items: flex-end; }',
    '.composer textarea { min-height: 44px; height: 44px; }',
    '.foot { display: flex; justify-content: space-between; align-items: center; gap: 8px; }',
    '.hint { font-size: 12px; color: #5b6475; }',
    '.ended { text-align: center; padding: 8px 12px 12px; border-top: 1px solid #d8dce3; }',
    '.ended p { margin: 0 0 8px; }',
    '.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }',
    '@media (max-width: 480px) {',
    '  .panel { inset: 0; right: 0; bottom: 0; width: 100%; height: 100%; border-radius: 0; }',
    '  .root.open .launcher { display: none; }',
    '  input, textarea { font-size: 16px; }',
    '}',
  ].join('\n');

  // ---- small helpers ----------------------------------------------------------------

  function el(tag, attrs) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') e.textContent = v;
      else if (k === 'class') e.className = v;
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (var i = 2; i < arguments.length; i++) if (arguments[i]) e.appendChild(arguments[i]);
    return e;
  }

  function load() {
    try {
      return JSON.parse(localStorage.getItem(KEY) || 'null');
    } catch (e) {
      return null;
    }
  }

  function save() {
    try {
      if (S.token) localStorage.setItem(KEY, JSON.stringify({ token: S.token, open: S.open }));
      else localStorage.removeItem(KEY);
    } catch (e) {
      /* no storage (private mode): the chat still works until a reload */
    }
  }

  function waitText(ms) {
    if (ms === null || ms === undefined) return '';
    if (ms < 60000) return 'less than a minute';
    var min = Math.round(ms / 60000);
    return 'about ' + min + (min === 1 ? ' minute' : ' minutes');
  }

  function clock(ms) {
    return ms ? new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';
  }

  // ---- state ---------------------------------------------------------------------------

  var S = {
    token: null,
    open: false,
    conv: null, // the last GET /v1/chat/conversation
    seq: null, // the last event seen
    ws: null,
    delay: 1000,
    retry: null,
    poll: null,
    byN: {},
    notices: {},
    endedByUs: false,
    lastJoined: null, // the agent whose joining the transcript says last
    typingOn: false,
    typingAt: 0,
    idle: null,
    theirTyping: null,
    online: true,
  };

  function request(method, path, body) {
    var headers = {};
    if (S.token) headers.Authorization = 'Bearer ' + S.token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(ORIGIN + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      mode: 'cors',
      credentials: 'omit',
      cache: 'no-store',
    }).then(function (res) {
      if (res.status === 204) return null;
      return res.text().then(function (t) {
        var doc = null;
        try {
          doc = t ? JSON.parse(t) : null;
        } catch (e) {
          doc = { detail: t };
        }
        if (!res.ok) {
          var err = new Error((doc && (doc.detail || doc.title)) || 'HTTP ' + res.status);
          err.status = res.status;
          err.code = doc && doc.code;
          throw err;
        }
        return doc;
      });
    });
  }

  // ---- the DOM ------------------------------------------------------------------------------

  var host = el('div', { id: 'switchboard-chat' });
  var shadow = host.attachShadow({ mode: 'open' });
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    shadow.adoptedStyleSheets = [sheet];
  } catch (e) {
    shadow.appendChild(el('style', { text: CSS })); // older browsers
  }

  var ui = {};
  ui.launcherText = el('span', { text: TITLE });
  ui.dot = el('span', { class: 'dot', hidden: true, 'aria-hidden': 'true' });
  ui.launcher = el(
    'button',
    { type: 'button', class: 'launcher', 'aria-expanded': 'false', 'aria-controls': 'sb-panel', 'data-testid': 'chat-launcher', onclick: toggle },
    ui.launcherText,
    ui.dot,
  );
  ui.status = el('p', { class: 'status', role: 'status', 'aria-live': 'polite', 'data-testid': 'chat-status' });
  ui.close = el('button', { type: 'button', 'aria-label': 'Minimise the chat', title: 'Minimise', onclick: toggle, text: '–' });
  ui.name = el('input', { id: 'sb-name', 'data-testid': 'chat-name', autocomplete: 'name', maxlength: '100', required: true });
  ui.email = el('input', { id: 'sb-email', 'data-testid': 'chat-email', type: 'email', autocomplete: 'email', maxlength: '200' });
  ui.message = el('textarea', { id: 'sb-message', 'data-testid': 'chat-message', maxlength: '4000', rows: '3', 'aria-describedby': 'sb-hint' });
  ui.messageLabel = el('label', { for: 'sb-message', text: 'How can we help?' });
  ui.startError = el('p', { class: 'error', role: 'alert' });
  ui.startBtn = el('button', { type: 'submit', class: 'primary', 'data-testid': 'chat-start', text: 'Start chat' });
  ui.messageSlotStart = el('div', {}, ui.messageLabel);
  ui.start = el(
    'form',
    { class: 'start', novalidate: true, onsubmit: onStart },
    el('p', { text: 'Tell us who you are and what it is about; the next free person will answer.' }),
    el('label', { for: 'sb-name', text: 'Your name' }),
    ui.name,
    el('label', { for: 'sb-email', text: 'E-mail (optional)' }),
    ui.email,
    ui.messageSlotStart,
    ui.startError,
    ui.startBtn,
  );
  ui.transcript = el('ol', { class: 'transcript', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation', 'data-testid': 'chat-transcript', tabindex: '0' });
  ui.typing = el('p', { class: 'typing', 'aria-live': 'polite', 'data-testid': 'chat-typing' });
  ui.body = el('div', { class: 'body' }, ui.start, ui.transcript, ui.typing);
  ui.sendBtn = el('button', { type: 'submit', class: 'primary', 'data-testid': 'chat-send', text: 'Send' });
  ui.endBtn = el('button', { type: 'button', class: 'secondary', 'data-testid': 'chat-end', text: 'End chat', onclick: onEnd });
  ui.composerRow = el('div', { class: 'row' }, ui.sendBtn);
  ui.composer = el(
    'form',
    { class: 'composer', onsubmit: onSend },
    el('label', { for: 'sb-message', class: 'sr', text: 'Your message' }),
    ui.composerRow,
    el('div', { class: 'foot' }, el('span', { class: 'hint', id: 'sb-hint', text: 'Enter sends · Shift+Enter for a new line' }), ui.endBtn),
  );
  ui.newBtn = el('button', { type: 'button', class: 'primary', 'data-testid': 'chat-new', text: 'Start a new chat', onclick: onNew });
  ui.ended = el('div', { class: 'ended' }, el('p', { text: 'This chat has ended. Thank you!' }), ui.newBtn);
  ui.panel = el(
    'section',
    { class: 'panel', id: 'sb-panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'sb-title', hidden: true, 'data-testid': 'chat-panel' },
    el('div', { class: 'head' }, el('h2', { id: 'sb-title', text: TITLE }), ui.close),
    ui.status,
    ui.body,
    ui.composer,
    ui.ended,
  );
  ui.root = el('div', { class: 'root' }, ui.launcher, ui.panel);
  shadow.appendChild(ui.root);

  ui.message.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      (S.token ? ui.composer : ui.start).requestSubmit();
    }
  });
  ui.message.addEventListener('input', typed);
  ui.panel.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') {
      e.preventDefault();
      toggle();
    }
  });

  function toggle() {
    setOpen(!S.open);
    if (S.open) (S.token ? ui.message : ui.name.value ? ui.message : ui.name).focus();
    else ui.launcher.focus();
  }

  function setOpen(open) {
    S.open = open;
    ui.panel.hidden = !open;
    ui.root.classList.toggle('open', open);
    ui.launcher.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (open) ui.dot.hidden = true;
    save();
  }

  function setStatus(text, warn) {
    if (ui.status.textContent !== text) ui.status.textContent = text;
    ui.status.classList.toggle('warn', !!warn);
  }

  // The screen for where we are: the start form, the conversation, or its end.
  function mode(m) {
    ui.start.hidden = m !== 'start';
    ui.transcript.hidden = m === 'start';
    ui.typing.hidden = m === 'start';
    ui.composer.hidden = m !== 'chat';
    ui.ended.hidden = m !== 'ended';
    // one message box: the first message in the form, then the composer's
    if (m === 'start') {
      ui.messageSlotStart.appendChild(ui.message);
      ui.message.setAttribute('aria-describedby', 'sb-hint');
    } else if (ui.message.parentNode !== ui.composerRow) {
      ui.composerRow.insertBefore(ui.message, ui.sendBtn);
    }
  }

  // ---- the transcript ---------------------------------------------------------------------

  function agentName() {
    return (S.conv && S.conv.agent && (S.conv.agent.name || S.conv.agent.id)) || 'The agent';
  }

  function addMessage(m) {
    if (!m || S.byN[m.n]) return false;
    var from = m.from === 'customer' || m.from === 'agent' ? m.from : 'system';
    var li = el('li', { class: 'msg ' + from, 'data-n': m.n });
    if (from !== 'system') {
      li.appendChild(el('span', { class: 'who', text: (from === 'customer' ? 'You' : m.name || agentName()) + ' · ' + clock(m.at) }));
    }
    li.appendChild(document.createTextNode(m.text));
    // keep the order of n (the stream and the API may both deliver one)
    var before = null;
    var items = ui.transcript.children;
    for (var i = 0; i < items.length; i++) {
      var n = Number(items[i].getAttribute('data-n'));
      if (n && n > m.n) {
        before = items[i];
        break;
      }
    }
    ui.transcript.insertBefore(li, before);
    S.byN[m.n] = li;
    if (from === 'agent') {
      setTheirTyping(false);
      if (!S.open) ui.dot.hidden = false;
    }
    scrollDown();
    return true;
  }

  // A line of our own (not a message): an agent joined, a transfer, the end.
  function notice(key, text) {
    if (S.notices[key]) return;
    S.notices[key] = true;
    ui.transcript.appendChild(el('li', { class: 'notice', text: text }));
    scrollDown();
  }

  function scrollDown() {
    ui.transcript.scrollTop = ui.transcript.scrollHeight;
  }

  function clearTranscript() {
    ui.transcript.textContent = '';
    S.byN = {};
    S.notices = {};
    S.lastJoined = null;
  }

  function setTheirTyping(on) {
    clearTimeout(S.theirTyping);
    ui.typing.textContent = on ? agentName() + ' is typing…' : '';
    if (on) S.theirTyping = setTimeout(function () { setTheirTyping(false); }, 7000);
  }

  // ---- the conversation ------------------------------------------------------------------------

  function render(conv) {
    var prev = S.conv;
    S.conv = conv;
    (conv.messages || []).forEach(addMessage);
    // (seq: the last event the conversation reflects; the stream resumes after it)
    if (conv.seq && (S.seq === null || conv.seq > S.seq)) S.seq = conv.seq;
    var st = conv.state;
    if (ENDED[st]) {
      mode('ended');
      setTheirTyping(false);
      var who = prev && prev.agent ? prev.agent : conv.agent;
      var by = S.endedByUs ? '' : st === 'abandoned' ? 'The chat ended while waiting.' : (who ? (who.name || who.id) + ' ended the chat.' : 'The chat has ended.');
      if (by) notice('end', by);
      setStatus('The chat has ended.');
      stopPolling();
      closeSocket();
      return;
    }
    mode('chat');
    if (WAITING[st]) {
      var text = 'Waiting for the next free person.';
      if (conv.position) text = 'Your place in the queue: ' + conv.position + (conv.position === 1 ? ' (next).' : '.');
      var w = waitText(conv.estimated_wait_ms);
      if (w) text += ' Estimated wait: ' + w + '.';
      setStatus(text);
      startPolling();
    } else if (st === 'connected') {
      stopPolling();
      if (conv.agent) {
        // (the stream's interaction.accepted usually says it first, in its place)
        if (prev && S.lastJoined !== conv.agent.id) joined(conv.agent.id, conv.agent.name, 'conv-' + conv.seq);
        setStatus('You are chatting with ' + (conv.agent.name || conv.agent.id) + '.');
      }
    }
    if (!S.online) setStatus('Connection lost — reconnecting…', true);
  }

  function refresh() {
    if (!S.token) return Promise.resolve();
    return request('GET', '/v1/chat/conversation')
      .then(render)
      .catch(function (e) {
        if (e.status === 401 || e.status === 404) forget('Your earlier chat is no longer available. You can start a new one.');
      });
  }

  function startPolling() {
    if (!S.poll) S.poll = setInterval(refresh, 5000);
  }

  function stopPolling() {
    clearInterval(S.poll);
    S.poll = null;
  }

  // Back to the start form (the conversation ended or its token expired).
  function forget(why) {
    stopPolling();
    closeSocket();
    var c = S.conv && S.conv.contact;
    if (c) {
      ui.name.value = c.name || ui.name.value;
      ui.email.value = c.email || ui.email.value;
    }
    S.token = null;
    S.conv = null;
    S.seq = null;
    S.endedByUs = false;
    clearTranscript();
    save();
    mode('start');
    setStatus(why || '');
  }

  // ---- the stream ---------------------------------------------------------------------------

  function connect() {
    clearTimeout(S.retry);
    if (!S.token || S.ws) return;
    var ws = new WebSocket(WS_ORIGIN + '/v1/chat/stream?token=' + encodeURIComponent(S.token));
    S.ws = ws;
    ws.onopen = function () {
      var msg = { type: 'subscribe', topics: ['interaction:' + S.conv.interaction] };
      if (S.seq) msg.after = S.seq;
      ws.send(JSON.stringify(msg));
    };
    ws.onmessage = function (m) {
      var msg;
      try {
        msg = JSON.parse(m.data);
      } catch (e) {
        return;
      }
      if (msg.type === 'subscribed') {
        S.delay = 1000;
        S.online = true;
        refresh(); // the state and anything said while we were away
      } else if (msg.type === 'event') {
        if (S.seq !== null && msg.seq <= S.seq) return;
        S.seq = msg.seq;
        onEvent(msg);
      } else if (msg.type === 'typing') {
        if (msg.from === 'agent') setTheirTyping(!!msg.typing);
      } else if (msg.type === 'error') {
        if (msg.code === 'resume_gap') S.seq = null;
        else if (msg.code === 'invalid_field') {
          S.seq = null; // "after" beyond the last event (a new store): from now on
          ws.close();
        }
      }
    };
    ws.onclose = function (e) {
      if (S.ws !== ws) return;
      S.ws = null;
      if (!S.token || (S.conv && ENDED[S.conv.state])) return;
      S.online = false;
      setStatus('Connection lost — reconnecting…', true);
      if (e.code === 4401) {
        refresh(); // the token ended: refresh says so
        return;
      }
      S.retry = setTimeout(connect, S.delay);
      S.delay = Math.min(S.delay * 2, 15000);
    };
  }

  function closeSocket() {
    clearTimeout(S.retry);
    if (S.ws) {
      var ws = S.ws;
      S.ws = null;
      ws.close(1000);
    }
  }

  function joined(agent, name, key) {
    S.lastJoined = agent;
    notice('joined-' + key, (name || agent) + ' joined the chat.');
  }

  function onEvent(msg) {
    switch (msg.event) {
      case 'chat.message':
        addMessage(msg.message);
        break;
      case 'interaction.accepted':
        if (msg.agent && S.lastJoined !== msg.agent) joined(msg.agent, msg.agent_name, msg.seq);
        refresh();
        break;
      case 'interaction.transferred':
        S.lastJoined = null;
        notice('transfer-' + msg.seq, agentName() + ' transferred the chat. Please wait for the next person.');
        setStatus('You are being transferred. Please wait…');
        refresh();
        break;
      default:
        refresh();
    }
  }

  // ---- what the customer does ------------------------------------------------------------------

  function onStart(e) {
    e.preventDefault();
    var name = ui.name.value.trim();
    var email = ui.email.value.trim();
    var text = ui.message.value.trim();
    ui.startError.textContent = '';
    if (!name) {
      ui.startError.textContent = 'Please give your name.';
      ui.name.focus();
      return;
    }
    if (email && email.indexOf('@') < 1) {
      ui.startError.textContent = 'That e-mail address does not look right.';
      ui.email.focus();
      return;
    }
    if (!text) {
      ui.startError.textContent = 'Please write your question.';
      ui.message.focus();
      return;
    }
    ui.startBtn.disabled = true;
    setStatus('Starting the chat…');
    var body = { tenant: TENANT, queue: QUEUE, name: name, text: text };
    if (email) body.email = email;
    S.token = null;
    request('POST', '/v1/chat/sessions', body)
      .then(function (res) {
        S.token = res.token;
        S.endedByUs = false;
        ui.message.value = '';
        clearTranscript();
        save();
        render(res.conversation);
        connect();
        ui.message.focus();
      })
      .catch(function (err) {
        setStatus('');
        ui.startError.textContent =
          err.status === 429
            ? 'Too many new chats from your network. Please try again in a minute.'
            : err.code === 'queue_full' || err.code === 'queue_closed'
              ? 'Sorry, nobody can take a chat just now. Please try again later.'
              : err.status === 404
                ? 'The chat is not available on this site.'
                : err.status
                  ? 'The chat could not start: ' + err.message
                  : 'The chat service cannot be reached. Please try again.';
      })
      .then(function () {
        ui.startBtn.disabled = false;
      });
  }

  function onSend(e) {
    e.preventDefault();
    var text = ui.message.value.trim();
    if (!text || !S.token || S.sending) return;
    S.sending = true;
    ui.message.value = '';
    var pending = el('li', { class: 'msg customer pending' }, el('span', { class: 'who', text: 'Sending…' }));
    pending.appendChild(document.createTextNode(text));
    ui.transcript.appendChild(pending);
    scrollDown();
    stopTyping();
    request('POST', '/v1/chat/messages', { text: text })
      .then(function (m) {
        pending.remove();
        addMessage(m);
      })
      .catch(function (err) {
        pending.remove();
        ui.message.value = ui.message.value ? text + '\n' + ui.message.value : text;
        setStatus(err.code === 'invalid_state' ? 'The chat has ended; the message was not sent.' : 'Not sent — please try again in a moment.', true);
        if (err.code === 'invalid_state') refresh();
      })
      .then(function () {
        S.sending = false;
      });
  }

  function onEnd() {
    if (!S.token) return;
    ui.endBtn.disabled = true;
    S.endedByUs = true;
    stopTyping();
    request('POST', '/v1/chat/end')
      .then(render)
      .catch(function (err) {
        S.endedByUs = false;
        if (err.code === 'invalid_state') refresh();
        else setStatus('Could not end the chat — please try again.', true);
      })
      .then(function () {
        ui.endBtn.disabled = false;
      });
  }

  function onNew() {
    forget('');
    ui.message.focus();
  }

  function typed() {
    if (!S.token || !S.conv || S.conv.state !== 'connected') return;
    clearTimeout(S.idle);
    if (!ui.message.value.trim()) {
      stopTyping();
      return;
    }
    var t = Date.now();
    if (!S.typingOn || t - S.typingAt > 3000) {
      S.typingOn = true;
      S.typingAt = t;
      request('POST', '/v1/chat/typing', { typing: true }).catch(function () {});
    }
    S.idle = setTimeout(stopTyping, 4000);
  }

  function stopTyping() {
    clearTimeout(S.idle);
    if (!S.typingOn) return;
    S.typingOn = false;
    if (S.token) request('POST', '/v1/chat/typing', { typing: false }).catch(function () {});
  }

  // ---- start ---------------------------------------------------------------------------------------

  function boot() {
    document.body.appendChild(host);
    var saved = load();
    mode('start');
    if (saved && saved.token) {
      S.token = saved.token;
      mode('chat');
      setStatus('Reconnecting to your chat…');
      var attempt = function () {
        request('GET', '/v1/chat/conversation')
          .then(function (conv) {
            render(conv);
            if (!ENDED[conv.state]) connect();
          })
          .catch(function (e) {
            if (e.status === 401 || e.status === 404) forget('Your earlier chat has ended. You can start a new one.');
            else {
              setStatus('Connection lost — reconnecting…', true);
              S.retry = setTimeout(attempt, S.delay);
              S.delay = Math.min(S.delay * 2, 15000);
            }
          });
      };
      attempt();
      setOpen(!!saved.open);
    } else if (script.hasAttribute('data-open')) {
      setOpen(true);
    }
    window.addEventListener('online', function () {
      if (S.token && !S.ws && S.conv && !ENDED[S.conv.state]) connect();
    });
  }

  if (document.body) boot();
  else document.addEventListener('DOMContentLoaded', boot);
})();
