/* The chat page: channels, the channel's messages kept live by Server-Sent Events, a line to
 * type commands into, and the buttons of the bot's messages. Who you are: the chooser in local
 * mode (sent with every request), or your own sign-in outside it. */
/* global window, document, fetch, EventSource, localStorage, crypto, location, history */
'use strict';

(function () {
  const { el, renderMessage, time } = window.ChatopsRender;
  const $ = (id) => document.getElementById(id);
  const state = { session: undefined, as: undefined, channel: 'console:ops', entries: new Map(), notes: [], source: undefined };

  function newId() {
    const b = new Uint8Array(12);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  async function post(path, body) {
    const res = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-chatops-console': '1' },
      body: JSON.stringify(body),
    });
    let data = {};
    try { data = await res.json(); } catch { /* not JSON */ }
    if (!res.ok) throw Object.assign(new Error(data.error || `HTTP ${res.status}`), { status: res.status });
    return data;
  }

  function channelFromHash() {
    const h = decodeURIComponent(location.hash.slice(1));
    return /^console:[A-Za-z0-9_.-]{1,64}$/.test(h) ? h : undefined;
  }

  // --- who you are -------------------------------------------------------------------------
  function renderWho() {
    const who = $('who');
    who.replaceChildren();
    const s = state.session;
    if (s.access === 'chooser') {
      const select = el('select', { id: 'as', 'aria-label': 'Who you are' });
      for (const p of s.people) select.append(el('option', { value: p.name, text: p.display === p.name ? p.name : `${p.name} (${p.display})` }));
      select.value = state.as || '';
      select.addEventListener('change', () => {
        state.as = select.value;
        localStorage.setItem('chatops.console.as', state.as);
        renderWho();
        renderMessages();
      });
      who.append(el('label', { for: 'as', text: 'You are ' }), select, el('span', { class: 'hint', text: 'local mode: choose anyone' }));
    } else if (s.me) {
      const out = el('button', { type: 'button', id: 'logout', class: 'btn', text: 'Sign out' });
      out.addEventListener('click', async () => {
        await post('/console/api/logout', {});
        location.reload();
      });
      who.append(el('span', { id: 'me', text: `Signed in as ${s.me}` }), ' ', out);
    }
  }

  function showLogin(message) {
    $('app').hidden = true;
    const box = $('login');
    box.hidden = false;
    if (state.session.access === 'closed') {
      $('login-form').hidden = true;
      $('login-error').textContent = message || 'The console is closed: nobody in this bot\'s config has a console token (people.<name>.consoleTokenHash).';
    } else if (message) {
      $('login-error').textContent = message;
    }
  }

  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('login-error').textContent = '';
    try {
      await post('/console/api/login', { token: $('token').value });
      location.reload();
    } catch (e) {
      $('login-error').textContent = e.message;
    }
  });

  // --- channels ----------------------------------------------------------------------------
  function renderChannels() {
    const list = $('channel-list');
    list.replaceChildren();
    const names = [...new Set([...state.session.channels, state.channel])];
    for (const c of names) {
      const a = el('a', { href: `#${c}`, text: `# ${c.slice('console:'.length)}`, 'aria-current': c === state.channel ? 'page' : undefined });
      list.append(el('li', {}, a));
    }
    $('channel-title').textContent = `# ${state.channel.slice('console:'.length)}`;
  }

  $('join').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const name = $('join-name').value.trim().replace(/^#/, '').replace(/^console:/, '');
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) return;
    $('join-name').value = '';
    location.hash = `console:${name}`;
  });

  window.addEventListener('hashchange', () => {
    const c = channelFromHash();
    if (c !== undefined && c !== state.channel) switchTo(c);
  });

  function switchTo(channel) {
    state.channel = channel;
    state.entries = new Map();
    state.notes = [];
    renderChannels();
    renderMessages();
    follow();
  }

  // --- messages ----------------------------------------------------------------------------
  function follow() {
    if (state.source) state.source.close();
    const src = new EventSource(`/console/api/events?channel=${encodeURIComponent(state.channel)}`);
    state.source = src;
    $('live').textContent = 'connecting…';
    src.addEventListener('open', () => { $('live').textContent = 'live'; });
    src.addEventListener('error', () => { $('live').textContent = 'reconnecting…'; });
    src.addEventListener('snapshot', (ev) => {
      const data = JSON.parse(ev.data);
      if (data.channel !== state.channel) return;
      // An update may have come in just before the snapshot: keep the newer revision of each.
      const next = new Map(data.entries.map((e) => [e.id, e]));
      for (const [id, e] of state.entries) {
        const s = next.get(id);
        if (s && s.revision < e.revision) next.set(id, e);
      }
      state.entries = next;
      renderMessages();
    });
    src.addEventListener('entry', (ev) => {
      const e = JSON.parse(ev.data);
      if (e.channel !== state.channel) return;
      const old = state.entries.get(e.id);
      if (old && old.revision > e.revision) return;
      state.entries.set(e.id, e);
      renderMessages();
    });
  }

  async function onButton(b, btn) {
    btn.disabled = true;
    try {
      const r = await post('/console/api/click', { channel: state.channel, action: b.action, value: b.value, as: state.as, id: newId() });
      if (r.reply) note(r.reply, `${b.label} (${b.value})`);
    } catch (e) {
      noteError(e.message);
    } finally {
      btn.disabled = false;
    }
  }

  function entryView(e) {
    const li = el('li', { class: `entry entry-${e.kind}`, 'data-entry-id': e.id });
    if (e.kind === 'said') {
      li.append(el('div', { class: 'said' }, el('span', { class: 'who', text: e.person }), el('span', { class: 'when', text: time(e.at) }), el('code', { class: 'said-text', text: e.text })));
    } else {
      li.append(el('div', { class: 'meta' }, el('span', { class: 'who bot', text: 'chatops' }), el('span', { class: 'when', text: time(e.updatedAt) }), e.revision > 1 ? el('span', { class: 'edited', text: '(updated)' }) : null));
      li.append(e.raw ? el('pre', { text: e.raw }) : renderMessage(e.message, { onClick: onButton, disabled: !state.as && state.session.access === 'chooser' }));
    }
    return li;
  }

  function renderMessages() {
    const list = $('messages');
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.replaceChildren();
    const all = [...state.entries.values()].sort((a, b) => a.seq - b.seq);
    const views = new Map();
    for (const e of all) {
      const v = entryView(e);
      views.set(e.id, v);
      const parent = e.kind === 'bot' && e.threadOf ? views.get(e.threadOf) : undefined;
      if (parent) {
        let thread = parent.querySelector(':scope > ol.thread');
        if (!thread) parent.append((thread = el('ol', { class: 'thread' })));
        thread.append(v);
      } else {
        list.append(v);
      }
    }
    for (const n of state.notes) list.append(n);
    if (atBottom || all.length + state.notes.length < 6) list.scrollTop = list.scrollHeight;
  }

  /** An answer for you alone (a refusal, a query's result): shown here, never stored. */
  function note(message, typed) {
    const li = el('li', { class: 'entry entry-note', 'data-note': '1' });
    const you = state.as ? `only you (${state.as}) can see this` : 'only you can see this';
    li.append(el('div', { class: 'meta' }, el('span', { class: 'who bot', text: 'chatops' }), el('span', { class: 'only-you', text: `${you}${typed ? ` · ${typed}` : ''}` })));
    li.append(renderMessage(message, { onClick: onButton }));
    state.notes.push(li);
    renderMessages();
    $('messages').scrollTop = $('messages').scrollHeight;
  }

  function noteError(text) {
    note({ title: 'Not sent', status: 'error', text, fields: [], buttons: [], links: [], context: [] });
  }

  $('composer').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = $('input');
    const text = input.value.trim();
    if (text === '') return;
    if (state.session.access === 'chooser' && !state.as) return noteError('Choose who you are first.');
    input.value = '';
    try {
      const r = await post('/console/api/command', { channel: state.channel, text, as: state.as, id: newId() });
      if (r.reply) note(r.reply, text);
    } catch (e) {
      noteError(e.message);
      if (e.status === 401 && state.session.access === 'tokens') location.reload();
    }
  });

  // --- start -------------------------------------------------------------------------------
  async function start() {
    const res = await fetch('/console/api/session', { credentials: 'same-origin' });
    const body = await res.json();
    if (!res.ok) {
      state.session = { access: 'closed', people: [], channels: [] };
      return showLogin(body.error);
    }
    state.session = body;
    const s = state.session;
    if (s.access !== 'chooser' && !s.me) return showLogin();
    if (s.access === 'chooser') {
      const saved = localStorage.getItem('chatops.console.as');
      state.as = s.people.some((p) => p.name === saved) ? saved : (s.operator || (s.people[0] && s.people[0].name));
    } else {
      state.as = s.me;
    }
    state.channel = channelFromHash() || 'console:ops';
    if (location.hash === '') history.replaceState(null, '', `#${state.channel}`);
    renderWho();
    renderChannels();
    renderMessages();
    follow();
    $('input').focus();
  }

  start().catch((e) => noteError(`The console could not start: ${e.message}`));
})();
