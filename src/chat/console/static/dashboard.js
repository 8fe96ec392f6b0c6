/* The dashboard: operations running, awaiting approval and finished, batch upgrades by batch
 * and workload, and the console channels alerts go to. Refreshed whenever the server says
 * something changed (Server-Sent Events). */
/* global window, document, fetch, EventSource, location */
'use strict';

(function () {
  const { el, renderMessage, safeUrl, time } = window.ChatopsRender;
  const $ = (id) => document.getElementById(id);
  const STATUS_CLASS = {
    awaiting_approval: 'needs_approval', queued: 'pending', running: 'running', paused: 'paused', succeeded: 'succeeded',
    failed: 'failed', blocked: 'denied', rejected: 'denied', expired: 'denied', cancelled: 'info',
  };

  function badge(status) {
    return el('span', { class: `badge status-${STATUS_CLASS[status] || status}`, text: status.replace('_', ' ') });
  }

  function links(op) {
    const p = el('span', { class: 'links' });
    for (const l of op.links) {
      const href = safeUrl(l.url);
      if (href) p.append(el('a', { href, target: '_blank', rel: 'noopener noreferrer', text: l.label }), ' ');
    }
    for (const c of op.channels) {
      if (c.startsWith('console:')) p.append(el('a', { href: `/console/#${c}`, text: `#${c.slice(8)}` }), ' ');
      else p.append(el('span', { class: 'muted', text: c }), ' ');
    }
    return p;
  }

  function opRow(op) {
    const tr = el('tr', { id: op.id, 'data-op': op.id, 'data-status': op.status });
    const what = el('td', {}, el('strong', { text: `${op.kind} ${op.app}` }), ' in ', el('strong', { text: op.env }), el('div', { class: 'muted', text: op.summary }));
    if (op.progress) what.append(el('div', { class: 'progress' }, el('progress', { max: 100, value: op.progress.percent }), el('span', { class: 'progress-label', text: `${op.progress.percent}% ${op.progress.label}` })));
    if (op.approval) what.append(el('div', { class: 'muted', text: `${op.approval.approvedBy.length} of ${op.approval.required} approvals; waiting on ${op.approval.waitingOn.join(', ') || 'nobody'}; expires ${time(op.approval.expiresAt)}` }));
    tr.append(
      el('td', {}, badge(op.status)),
      what,
      el('td', { text: op.requestedBy }),
      el('td', { text: op.approvedBy.join(', ') }),
      el('td', { class: 'when', text: time(op.updatedAt), title: op.updatedAt }),
      el('td', {}, links(op), el('div', { class: 'muted mono', text: op.id })),
    );
    if (location.hash === `#${op.id}`) tr.classList.add('target');
    return tr;
  }

  function opTable(ops, empty) {
    if (ops.length === 0) return el('p', { class: 'muted', text: empty });
    const table = el('table', { class: 'ops' });
    table.append(el('thead', {}, el('tr', {}, ...['Status', 'Operation', 'Asked by', 'Approved by', 'Updated', 'Links'].map((h) => el('th', { text: h })))));
    const body = el('tbody');
    for (const op of ops) body.append(opRow(op));
    table.append(body);
    return table;
  }

  function upgradeView(op) {
    const box = el('article', { class: 'upgrade', 'data-op': op.id });
    box.append(el('h3', {}, badge(op.status), ' ', el('span', { text: `${op.app} in ${op.env}` }), ' ', el('span', { class: 'muted mono', text: op.id })));
    box.append(el('p', { class: 'muted', text: op.summary }));
    if (!op.batches) {
      box.append(el('p', { class: 'muted', text: op.status === 'awaiting_approval' ? 'Batches start once the request is approved.' : 'No batch detail recorded.' }));
      return box;
    }
    const grid = el('div', { class: 'batches' });
    for (const b of op.batches) {
      const done = b.workloads.filter((w) => w.step === 'done').length;
      const col = el('div', { class: `batch step-${b.step}`, 'data-batch': b.batch });
      col.append(el('h4', { text: `Batch ${b.batch} · ${b.step} · ${done}/${b.workloads.length}` }));
      const ul = el('ul');
      for (const w of b.workloads) ul.append(el('li', { class: `wl step-${w.step}`, title: w.message || w.step }, el('span', { class: 'wl-name', text: `${w.app} @ ${w.cluster}` }), el('span', { class: 'wl-step', text: w.step }), w.message ? el('div', { class: 'muted', text: w.message }) : null));
      col.append(ul);
      grid.append(col);
    }
    box.append(grid);
    return box;
  }

  function alertsView(channels) {
    if (channels.length === 0) return el('p', { class: 'muted', text: 'No console channel receives alerts (alerts.routes in the config).' });
    const wrap = el('div', { class: 'alert-channels' });
    for (const c of channels) {
      const box = el('article', { class: 'alert-channel', 'data-channel': c.channel });
      box.append(el('h3', {}, el('a', { href: `/console/#${c.channel}`, text: `#${c.channel.slice(8)}` }), ' ', el('span', { class: 'count', text: String(c.entries.length) })));
      if (c.entries.length === 0) box.append(el('p', { class: 'muted', text: 'Nothing yet.' }));
      for (const e of c.entries.slice().reverse().slice(0, 5)) box.append(e.kind === 'bot' ? renderMessage(e.message, { disabled: true }) : el('p', { text: `${e.person}: ${e.text}` }));
      wrap.append(box);
    }
    return wrap;
  }

  let loading = false;
  let again = false;
  async function load() {
    if (loading) { again = true; return; }
    loading = true;
    try {
      const res = await fetch('/console/api/dashboard', { credentials: 'same-origin' });
      const d = await res.json();
      if (!res.ok) {
        $('dash-error').hidden = false;
        $('dash-error').replaceChildren(el('span', { text: `${d.error || res.status} ` }), el('a', { href: '/console/', text: 'Go to the console to sign in.' }));
        return;
      }
      $('dash-error').hidden = true;
      $('running-count').textContent = String(d.running.length);
      $('awaiting-count').textContent = String(d.awaitingApproval.length);
      $('running').replaceChildren(opTable(d.running, 'Nothing is running.'));
      $('awaiting').replaceChildren(opTable(d.awaitingApproval, 'Nothing is waiting for approval.'));
      $('upgrades').replaceChildren(...(d.upgrades.length === 0 ? [el('p', { class: 'muted', text: 'No batch upgrades lately.' })] : d.upgrades.map(upgradeView)));
      $('recent').replaceChildren(opTable(d.recent, 'No finished operations yet.'));
      $('alerts').replaceChildren(alertsView(d.alerts));
      $('live').textContent = `updated ${time(d.at)}`;
    } finally {
      loading = false;
      if (again) { again = false; void load(); }
    }
  }

  const src = new EventSource('/console/api/dashboard/events');
  src.addEventListener('changed', () => { void load(); });
  src.addEventListener('error', () => { $('live').textContent = 'reconnecting…'; });
  void load();
})();
