/* The neutral message (src/core/message.ts) as DOM, for the chat page and the dashboard.
 * Every piece of text goes in with textContent, never as HTML, and links only with http(s)
 * URLs: whatever a message carries (an image tag, a reason someone typed) shows as text. */
/* global window, document, URL */
'use strict';

(function (root) {
  // Plain characters every font has (emoji are missing from a bare headless browser).
  const STATUS_MARK = {
    info: 'i', pending: '…', needs_approval: '?', running: '▸', paused: '‖',
    succeeded: '✓', failed: '✗', denied: '✗', error: '!',
  };

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('data-') || k.startsWith('aria-') || ['title', 'type', 'role', 'id', 'name', 'value', 'placeholder', 'for'].includes(k)) e.setAttribute(k, String(v));
      else e[k] = v;
    }
    for (const c of children) if (c !== undefined && c !== null) e.append(c);
    return e;
  }

  function safeUrl(u) {
    try {
      const url = new URL(u, document.baseURI);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * opts.onClick(button) is called for a button press (after a confirm, if it has one);
   * opts.disabled turns buttons off (nobody chosen, not signed in).
   */
  function renderMessage(m, opts) {
    const o = opts || {};
    const card = el('article', { class: `msg status-${m.status}`, 'data-status': m.status });
    card.append(el('h3', { class: 'msg-title' }, el('span', { class: 'mark', 'aria-hidden': 'true', text: STATUS_MARK[m.status] || '' }), el('span', { class: 'title-text', text: m.title })));
    if (m.text) card.append(el('p', { class: 'msg-text', text: m.text }));
    if (m.fields && m.fields.length > 0) {
      const dl = el('dl', { class: 'fields' });
      for (const f of m.fields) dl.append(el('dt', { text: f.label }), el('dd', { text: f.value }));
      card.append(dl);
    }
    if (m.progress) {
      const { done, total, label } = m.progress;
      const pct = total === 0 ? 0 : Math.round((100 * done) / total);
      card.append(el('div', { class: 'progress' },
        el('progress', { max: total, value: done, 'aria-label': label || 'progress' }),
        el('span', { class: 'progress-label', text: `${pct}%${label ? ` ${label}` : ''}` })));
    }
    for (const s of m.sections || []) {
      const sec = el('section', { class: 'msg-section' });
      if (s.heading) sec.append(el('h4', { text: s.heading }));
      sec.append(el('pre', { text: s.lines.join('\n') }));
      card.append(sec);
    }
    if (m.mentions && m.mentions.length > 0) card.append(el('p', { class: 'mentions', text: `Notifying: ${m.mentions.map((p) => `@${p}`).join(' ')}` }));
    if (m.buttons && m.buttons.length > 0) {
      const row = el('div', { class: 'buttons' });
      for (const b of m.buttons) {
        const btn = el('button', { type: 'button', class: `btn ${b.style || ''}`, 'data-action': b.action, 'data-value': b.value, text: b.label, disabled: !!o.disabled });
        btn.addEventListener('click', () => {
          if (b.confirm && !root.confirm(b.confirm)) return;
          if (o.onClick) o.onClick(b, btn);
        });
        row.append(btn);
      }
      card.append(row);
    }
    if (m.links && m.links.length > 0) {
      const row = el('p', { class: 'links' });
      for (const l of m.links) {
        const href = safeUrl(l.url);
        row.append(href === undefined ? el('span', { text: `${l.label}: ${l.url}` }) : el('a', { href, target: '_blank', rel: 'noopener noreferrer', text: l.label }), ' ');
      }
      card.append(row);
    }
    if (m.context && m.context.length > 0) card.append(el('p', { class: 'context', text: m.context.join(' · ') }));
    return card;
  }

  function time(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  root.ChatopsRender = { el, renderMessage, safeUrl, time, STATUS_MARK };
})(window);
