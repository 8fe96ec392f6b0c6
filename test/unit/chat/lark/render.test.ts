import { sampleSuggestion } from '../../support/suggestion.ts';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commands } from '../../../../commands/index.ts';
import { approvalOutcomeMessage, approvalRequestMessage, opMessage } from '../../../../src/service/messages.ts';
import { opView } from '../../../../src/service/op-view.ts';
import { escapeLarkMarkdown } from '../../../../src/chat/lark/markdown.ts';
import { renderLarkCard, type LarkRenderOptions, type LarkRendered } from '../../../../src/chat/lark/render.ts';
import { LARK_CARD_BUDGET_BYTES, LARK_OVERFLOW_CHUNK_CHARS, cardBytes, larkCardProblems } from '../../../../src/chat/lark/limits.ts';
import type { LarkButton, LarkCard, LarkElement } from '../../../../src/chat/lark/card.ts';
import { openApproval, type ApprovalState } from '../../../../src/core/approval.ts';
import { Duration } from '../../../../src/core/duration.ts';
import { chatError } from '../../../../src/core/errors.ts';
import { message, type Message } from '../../../../src/core/message.ts';
import { decisionMessage, helpMessage, usageErrorMessage } from '../../../../src/core/messages.ts';
import type { Decision } from '../../../../src/core/policy.ts';
import type { Plan } from '../../../../src/core/resolve.ts';
import type { Target } from '../../../../src/core/targets.ts';
import type { OpRecord } from '../../../../src/jobs/operations.ts';
import type { TargetResult } from '../../../../src/jobs/context.ts';
import { withChecks } from '../../../../src/service/diff-message.ts';
import { JOB_LINK, deployPreviews, preflightReport } from '../../support/checks.ts';

/**
 * The Lark card renderer against golden files (test/unit/chat/lark/golden/*.json), over
 * messages made by the real builders. A golden is written only with UPDATE_GOLDEN=1; without
 * it a missing golden fails, so a new case is reviewed before it is trusted.
 */

const GOLDEN_DIR = join(import.meta.dirname, 'golden');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

const OPEN_IDS: Readonly<Record<string, string>> = { alice: 'ou_7d8a6e6df7621556ce0d21922b676706', carol: 'ou_c3d4e5f60718293a4b5c6d7e8f901234' };
const opts: LarkRenderOptions = { openIdOf: (p) => (Object.hasOwn(OPEN_IDS, p) ? OPEN_IDS[p] : undefined) };

const NOW = new Date('2026-03-02T09:30:00.000Z');

function target(cluster: string, region: string): Target {
  return { app: 'api', env: 'prod', cluster, region, namespace: 'api-prod', kind: 'Deployment', workload: 'api', container: undefined };
}

const deployPlan: Plan = {
  verb: 'deploy',
  env: 'prod',
  apps: ['api'],
  targets: [target('gz-prod', 'cn-south'), target('sh-prod', 'cn-east')],
  image: 'registry.example.com/team/api:v1.4.2',
  reason: 'hotfix for login_timeout (INC-4211)',
  dryRun: false,
};

const { reason: _reason, ...withoutReason } = deployPlan;
const stagingPlan: Plan = { ...withoutReason, env: 'staging', targets: deployPlan.targets.map((t) => ({ ...t, env: 'staging', namespace: 'api-staging', cluster: t.cluster.replace('prod', 'staging') })) };

const approvalDecision: Decision = { kind: 'approval', rule: 'prod-changes', count: 1, approvers: ['alice', 'bob'], from: ['group:sre'], expiresIn: new Duration(3600) };

function approval(): ApprovalState {
  const r = openApproval({ id: 'apr-7f3c2a', requester: 'carol', approvers: ['alice', 'bob'], required: 1, digest: 'sha256:9b1c', now: NOW, expiresInSeconds: 3600 });
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

function op(status: OpRecord['status'], extra: Partial<OpRecord> = {}): OpRecord {
  return {
    id: 'op-20260302-0007',
    kind: 'deploy',
    status,
    env: 'prod',
    app: 'api',
    requestedBy: 'carol',
    approvalId: 'apr-7f3c2a',
    approvedBy: ['alice'],
    summary: 'Deploy registry.example.com/team/api:v1.4.2 to api in prod (2 workloads)',
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    ...extra,
  };
}

const grafana = { label: 'Grafana: api (prod)', url: 'https://grafana.example.com/d/k8s-app?var-app=api&var-env=prod' };

const succeededTargets: TargetResult[] = [
  { cluster: 'gz-prod', workload: 'api-prod/deployment/api', outcome: 'done', message: 'rolled out revision 12 (3/3 ready)' },
  { cluster: 'sh-prod', workload: 'api-prod/deployment/api', outcome: 'done', message: 'rolled out revision 9 (3/3 ready)' },
];
const failedTargets: TargetResult[] = [
  { cluster: 'gz-prod', workload: 'api-prod/deployment/api', outcome: 'done', message: 'rolled out revision 12 (3/3 ready)' },
  { cluster: 'sh-prod', workload: 'api-prod/deployment/api', outcome: 'rolled_back', message: 'readiness probe failed: HTTP 503 on /healthz; rolled back to revision 8' },
];

const cases: readonly (readonly [string, () => Message])[] = [
  ['approval-request-prod', () => approvalRequestMessage(decisionMessage(deployPlan, approvalDecision, 'carol'), approval(), 'op-20260302-0007', 'prod')],
  ['approval-request-diff-preflight', () =>
    approvalRequestMessage(withChecks(decisionMessage(deployPlan, approvalDecision, 'carol'), deployPreviews(['gz-prod', 'sh-prod'], 'api'), preflightReport('warn', 'gz-prod Deployment api-prod/api'), JOB_LINK), approval(), 'op-20260302-0007', 'prod')],
  ['approval-request-long-diff', () =>
    approvalRequestMessage(withChecks(decisionMessage(deployPlan, approvalDecision, 'carol'), deployPreviews(['gz-prod', 'sh-prod'], 'api', 30), preflightReport('warn', 'gz-prod Deployment api-prod/api'), JOB_LINK), approval(), 'op-20260302-0007', 'prod')],
  ['approval-request-no-confirm', () => approvalRequestMessage(decisionMessage(stagingPlan, approvalDecision, 'carol'), approval(), 'op-20260302-0008')],
  ['op-running', () => ({ ...opMessage(op('running')), progress: { done: 1, total: 2, label: 'workloads rolled out' } })],
  ['op-succeeded', () => opMessage(op('succeeded', { result: { outcome: 'succeeded', summary: 'deploy finished on 2 of 2 workload(s)', targets: succeededTargets } }), { text: 'deploy finished on 2 of 2 workload(s)', links: [grafana] })],
  [
    'op-failed',
    () =>
      opMessage(op('failed', { result: { outcome: 'failed', summary: 'deploy failed on 1 of 2 workload(s): sh-prod: readiness probe failed', targets: failedTargets } }), {
        text: 'deploy failed on 1 of 2 workload(s): sh-prod: readiness probe failed',
        links: [grafana],
      }),
  ],
  ['denied-frozen', () => decisionMessage(deployPlan, { kind: 'deny', code: 'E_FROZEN', reason: 'prod is frozen until 2026-03-03 09:00 (release freeze).' }, 'carol')],
  ['approval-outcome-approved', () => approvalOutcomeMessage({ kind: 'approved' }, approval(), 'alice')],
  // A paused upgrade's live card: "Abort and roll back" asks first; a blocked one offers "Request again".
  ['op-paused-upgrade', () => opView({ op: op('paused', { kind: 'upgrade', app: 'api,web', summary: 'batch 1 of 2 is healthy; waiting for a decision: /continue op-20260302-0007 for batch 2, or /abort op-20260302-0007 [--rollback]' }), links: [grafana] })],
  ['op-blocked-request-again', () => opView({ op: op('blocked', { summary: 'Approved by alice, but not run: api in prod is locked by bob until 2026-03-02T12:00:00.000Z', request: 'deploy api v1.4.2 to prod' }), links: [grafana] })],
  ['scale-suggestion', () => sampleSuggestion()],
  ['help', () => helpMessage(commands, undefined)],
  ['help-deploy', () => helpMessage(commands, 'deploy')],
  [
    'usage-error',
    () => usageErrorMessage(chatError('E_UNKNOWN_VERB', 'There is no command "delpoy".', { expected: 'a command such as deploy, scale or rollback', example: '/deploy web v1.4.2 to prod' })),
  ],
];

function goldenText(r: LarkRendered): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

/** Every element of a card, containers included, depth first. */
function walk(elements: readonly (LarkElement | LarkButton)[]): (LarkElement | LarkButton)[] {
  const out: (LarkElement | LarkButton)[] = [];
  for (const e of elements) {
    out.push(e);
    if (e.tag === 'column_set') for (const c of e.columns) out.push(...walk(c.elements));
  }
  return out;
}

function buttons(card: LarkCard): LarkButton[] {
  return walk(card.body.elements).filter((e): e is LarkButton => e.tag === 'button');
}

function markdowns(card: LarkCard): string[] {
  return walk(card.body.elements).flatMap((e) => (e.tag === 'markdown' ? [e.content] : []));
}

function decode(s: string): string {
  return s.replace(/&#(\d+);/g, (_m, n: string) => String.fromCodePoint(Number(n)));
}

function undefinedPaths(v: unknown, at: string): string[] {
  if (v === undefined) return [at];
  if (Array.isArray(v)) return v.flatMap((x, i) => undefinedPaths(x, `${at}[${i}]`));
  if (typeof v === 'object' && v !== null) return Object.entries(v).flatMap(([k, x]) => undefinedPaths(x, `${at}.${k}`));
  return [];
}

describe('renderLarkCard: golden cards', () => {
  it.each(cases)('%s', (name, build) => {
    const rendered = renderLarkCard(build(), opts);
    const file = join(GOLDEN_DIR, `${name}.json`);
    if (UPDATE) {
      mkdirSync(GOLDEN_DIR, { recursive: true });
      writeFileSync(file, goldenText(rendered));
    }
    expect(existsSync(file), `missing golden ${file}: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
    expect(goldenText(rendered)).toBe(readFileSync(file, 'utf8'));
  });

  it.each(cases)('%s: a valid card JSON 2.0 that fits', (_name, build) => {
    const { card, overflow } = renderLarkCard(build(), opts);
    expect(card.schema).toBe('2.0');
    expect(card.config.update_multi).toBe(true);
    expect(larkCardProblems(card)).toEqual([]);
    expect(undefinedPaths(card, 'card')).toEqual([]);
    expect(cardBytes(card)).toBeLessThanOrEqual(LARK_CARD_BUDGET_BYTES);
    expect(overflow).toEqual([]);
  });

  it('is deterministic', () => {
    for (const [, build] of cases) expect(JSON.stringify(renderLarkCard(build(), opts))).toBe(JSON.stringify(renderLarkCard(build(), opts)));
  });
});

describe('renderLarkCard: layout', () => {
  it('colours the header by status and prefixes the status mark', () => {
    const colours = Object.fromEntries(
      (['info', 'pending', 'needs_approval', 'running', 'paused', 'succeeded', 'failed', 'denied', 'error'] as const).map((s) => [s, renderLarkCard(message('T', s), opts).card.header.template]),
    );
    expect(colours).toEqual({ info: 'wathet', pending: 'turquoise', needs_approval: 'orange', running: 'blue', paused: 'yellow', succeeded: 'green', failed: 'red', denied: 'grey', error: 'red' });
    expect(renderLarkCard(message('Deploy api', 'succeeded'), opts).card.header.title).toEqual({ tag: 'plain_text', content: '✔ Deploy api' });
  });

  it('renders a confirm dialog for a button with a confirm question, and none without', () => {
    const { card } = renderLarkCard(approvalRequestMessage(decisionMessage(deployPlan, approvalDecision, 'carol'), approval(), 'op-1', 'prod'), opts);
    const [approve, reject] = buttons(card);
    expect(approve).toEqual({
      tag: 'button',
      text: { tag: 'plain_text', content: 'Approve' },
      type: 'primary',
      behaviors: [{ type: 'callback', value: { action: 'approve', value: 'apr-7f3c2a@sha256:9b1c' } }],
      confirm: { title: { tag: 'plain_text', content: 'Approve' }, text: { tag: 'plain_text', content: 'Approve this change in prod? It runs as soon as enough approvals are in.' } },
    });
    expect(reject).toEqual({ tag: 'button', text: { tag: 'plain_text', content: 'Reject' }, type: 'danger', behaviors: [{ type: 'callback', value: { action: 'reject', value: 'apr-7f3c2a@sha256:9b1c' } }] });
    expect(reject !== undefined && 'confirm' in reject).toBe(false);
  });

  it('keeps the callback value to { action, value }', () => {
    const { card } = renderLarkCard(message('T', 'info', { buttons: [{ label: 'Retry', action: 'retry', value: 'op-9' }] }), opts);
    expect(buttons(card).map((b) => b.behaviors[0].value)).toEqual([{ action: 'retry', value: 'op-9' }]);
    expect(buttons(card)[0]?.type).toBe('default');
  });

  // A label cut at the limit used to keep the first half of an emoji that straddled the cut.
  it.each([
    ['plain text', 'a'.repeat(120), `${'a'.repeat(99)}…`],
    ['an emoji across the cut', `${'a'.repeat(98)}🚀 launch`, `${'a'.repeat(98)}…`],
    ['an emoji just before the cut', `${'a'.repeat(97)}🚀 launch`, `${'a'.repeat(97)}🚀…`],
  ])('cuts a long button label at 100 characters, never inside a character: %s', (_what, label, want) => {
    const { card } = renderLarkCard(message('T', 'info', { buttons: [{ label, action: 'retry', value: 'op-9' }] }), opts);
    expect(buttons(card)[0]?.text.content).toBe(want);
  });

  it('mentions people with a known open_id and names the others', () => {
    const { card } = renderLarkCard(message('T', 'needs_approval', { mentions: ['alice', 'bob'] }), opts);
    expect(markdowns(card)).toContain(`Notifying: <at id=${OPEN_IDS['alice'] ?? ''}></at> @bob`);
  });

  it('shows a progress bar', () => {
    const { card } = renderLarkCard(message('T', 'running', { progress: { done: 3, total: 4, label: 'batches' } }), opts);
    expect(markdowns(card)).toContain('**Progress** ███████████████░░░░░ 3/4 batches');
  });

  it('pairs short fields in a two-column row and gives long ones a row of their own', () => {
    const { card } = renderLarkCard(
      message('T', 'info', {
        fields: [
          { label: 'Environment', value: 'prod' },
          { label: 'App', value: 'api' },
          { label: 'Reason', value: 'x'.repeat(80) },
        ],
      }),
      opts,
    );
    expect(card.body.elements.map((e) => e.tag)).toEqual(['column_set', 'markdown']);
  });
});

describe('renderLarkCard: escaping user text', () => {
  const evil = 'ping <at id=all></at> and [click here](https://evil.example) **now** &#60;at id=all&#62;';

  it('neutralises <at id=all> and links everywhere user text goes', () => {
    const m = message(`Deploy ${evil}`, 'needs_approval', {
      text: evil,
      fields: [{ label: 'Reason', value: evil }],
      sections: [{ heading: evil, lines: [evil] }],
      links: [{ label: evil, url: 'https://grafana.example.com/d/x' }],
      context: [evil],
      buttons: [{ label: 'Approve', action: 'approve', value: 'apr-1', confirm: evil }],
      mentions: ['all', 'mallory'],
    });
    const { card } = renderLarkCard(m, { openIdOf: (p) => (p === 'all' ? 'all' : p === 'mallory' ? 'ou_x></at><at id=all' : undefined) });
    // Markdown is where Lark reads tags and links.
    const allMarkdown = markdowns(card).join('\n');
    expect(allMarkdown).not.toMatch(/<at id=all/i);
    expect(allMarkdown).not.toContain('[click here](');
    expect(allMarkdown).not.toContain('**now**');
    expect(allMarkdown).toContain('Notifying: @all @mallory');
    for (const content of markdowns(card)) {
      expect(content).not.toMatch(/<at\b/);
      // Only the links we made ourselves: exactly one, to the configured URL.
      expect([...content.matchAll(/\]\(/g)].length).toBeLessThanOrEqual(1);
    }
    expect(markdowns(card).join('\n')).toContain('](https://grafana.example.com/d/x)');
    // Plain-text places (title, button confirm) show the text as is: Lark does not parse them.
    expect(card.header.title).toEqual({ tag: 'plain_text', content: `⏳ Deploy ${evil}` });
    expect(buttons(card)[0]?.confirm?.text).toEqual({ tag: 'plain_text', content: evil });
    expect(larkCardProblems(card)).toEqual([]);
  });

  it('shows the same characters once decoded', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (s) => {
        const e = escapeLarkMarkdown(s);
        expect(decode(e)).toBe(s);
        expect(e.replace(/&#\d+;/g, '')).not.toMatch(/[&<>[\]()*_~`#|\\:]/);
      }),
    );
  });

  it('escapes line starts that would make lists or rules', () => {
    expect(escapeLarkMarkdown('a\n- b\n1. c\n---')).toBe('a\n&#45; b\n1&#46; c\n&#45;--');
  });

  it('refuses link URLs that are not plain http(s)', () => {
    const { card } = renderLarkCard(message('T', 'info', { links: [{ label: 'x', url: 'javascript:alert(1)' }] }), opts);
    expect(markdowns(card).join('\n')).not.toContain('](');
  });
});

describe('renderLarkCard: size limit and overflow', () => {
  function checkEveryLineOnce(r: LarkRendered, expected: readonly string[]): void {
    const inCard = markdowns(r.card).flatMap((c) => decode(c).split('\n'));
    const inOverflow = r.overflow.flatMap((c) => c.replaceAll('\u200B', '').split('\n'));
    const seen = new Map<string, number>();
    for (const l of [...inCard, ...inOverflow]) seen.set(l, (seen.get(l) ?? 0) + 1);
    const wrong = expected.filter((l) => seen.get(l) !== 1);
    expect(wrong.slice(0, 5)).toEqual([]);
  }

  it('cuts a 2,000-line section at a line boundary and sends the rest, every line exactly once', () => {
    const targets: TargetResult[] = Array.from({ length: 2000 }, (_, i) => ({
      cluster: `edge-${String(i).padStart(4, '0')}`,
      workload: 'api-prod/deployment/api',
      outcome: 'done',
      message: `rolled out revision ${i + 1} (3/3 ready)`,
    }));
    const m = opMessage(op('succeeded', { result: { outcome: 'succeeded', summary: 'deploy finished on 2000 of 2000 workload(s)', targets } }), { links: [grafana] });
    const lines = m.sections?.[0]?.lines ?? [];
    expect(lines).toHaveLength(2000);

    const r = renderLarkCard(m, opts);
    expect(cardBytes(r.card)).toBeLessThanOrEqual(LARK_CARD_BUDGET_BYTES);
    expect(larkCardProblems(r.card)).toEqual([]);
    expect(r.overflow.length).toBeGreaterThan(1);
    for (const chunk of r.overflow) expect(chunk.length).toBeLessThanOrEqual(LARK_OVERFLOW_CHUNK_CHARS);
    checkEveryLineOnce(r, lines);

    // The card says how many lines follow, and that is how many do.
    const section = markdowns(r.card).find((c) => c.startsWith('**Workloads**')) ?? '';
    const more = Number(/… (\d+) more lines below/.exec(section)?.[1]);
    const kept = section.split('\n').length - 2;
    expect(kept).toBeGreaterThan(100);
    expect(kept + more).toBe(2000);
    // The overflow continues in order, where the card stopped.
    expect(r.overflow[0]?.split('\n')[0]).toBe('Workloads (continued):');
    expect(r.overflow[0]?.split('\n')[1]).toBe(lines[kept]);
    expect(r.overflow.at(-1)?.split('\n').at(-1)).toBe(lines[1999]);
    // The rest of the card is still there.
    expect(buttons(r.card)).toEqual([]);
    expect(markdowns(r.card).some((c) => c.includes('](https://grafana.example.com/'))).toBe(true);
  });

  it('cuts across several sections, moving later sections whole with their headings', () => {
    const sections = ['Alpha', 'Beta', 'Gamma'].map((h) => ({ heading: h, lines: Array.from({ length: 700 }, (_, i) => `${h.toLowerCase()} line ${i} ${'·'.repeat(20)}`) }));
    const r = renderLarkCard(message('Plan', 'info', { sections, buttons: [{ label: 'Go', action: 'go', value: 'x' }] }), opts);
    expect(cardBytes(r.card)).toBeLessThanOrEqual(LARK_CARD_BUDGET_BYTES);
    checkEveryLineOnce(
      r,
      sections.flatMap((s) => s.lines),
    );
    const text = r.overflow.join('\n');
    expect(text).toContain('Gamma:');
    expect(buttons(r.card)).toHaveLength(1);
  });

  it('fits what fits without overflow', () => {
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i}`);
    const r = renderLarkCard(message('T', 'info', { sections: [{ lines }] }), opts);
    expect(r.overflow).toEqual([]);
    checkEveryLineOnce(r, lines);
  });

  it('moves everything but the header, mentions and buttons out when even that is too big', () => {
    const text = `start <at user_id="all">everyone</at> [x](https://evil.example) ${'word '.repeat(12000)}end`;
    const m = message('Huge', 'needs_approval', {
      text,
      fields: [{ label: 'Reason', value: 'because' }],
      buttons: [{ label: 'Approve', action: 'approve', value: 'apr-1' }],
      mentions: ['alice'],
      context: ['request apr-1'],
    });
    const r = renderLarkCard(m, opts);
    expect(cardBytes(r.card)).toBeLessThanOrEqual(LARK_CARD_BUDGET_BYTES);
    expect(larkCardProblems(r.card)).toEqual([]);
    expect(buttons(r.card)).toHaveLength(1);
    expect(markdowns(r.card).join('\n')).toContain('<at id=ou_');
    for (const chunk of r.overflow) expect(chunk.length).toBeLessThanOrEqual(LARK_OVERFLOW_CHUNK_CHARS);
    const all = r.overflow.join('');
    expect(all).not.toContain('<at user_id');
    expect(all).not.toContain('](https');
    expect(all.replaceAll('\u200B', '')).toContain('Reason: because');
    expect(all).toContain('request apr-1');
  });
});

describe('larkCardProblems', () => {
  const good = (): Record<string, unknown> => JSON.parse(JSON.stringify(renderLarkCard(message('T', 'info', { text: 'x', buttons: [{ label: 'Go', action: 'go', value: 'v' }] }), opts).card)) as Record<string, unknown>;

  it('accepts what the renderer makes', () => {
    expect(larkCardProblems(good())).toEqual([]);
  });

  it.each([
    ['not an object', () => [1, 2], /JSON object/],
    ['schema 1.0', () => ({ ...good(), schema: '1.0' }), /schema: must be "2.0"/],
    ['no schema', () => ({ config: {}, body: { elements: [] } }), /schema/],
    ['unknown top-level key', () => ({ ...good(), i18n_elements: {} }), /unknown property "i18n_elements"/],
    ['1.0 elements at the top', () => ({ schema: '2.0', elements: [] }), /top-level elements/],
    ['update_multi false', () => ({ ...good(), config: { update_multi: false } }), /update_multi/],
    ['too big', () => ({ ...good(), body: { elements: [{ tag: 'markdown', content: 'x'.repeat(31 * 1024) }] } }), /over Lark's limit/],
    ['action module', () => ({ ...good(), body: { elements: [{ tag: 'action', actions: [] }] } }), /"action" module is card JSON 1.0/],
    ['unknown component', () => ({ ...good(), body: { elements: [{ tag: 'blink' }] } }), /unknown component "blink"/],
    ['unknown markdown property', () => ({ ...good(), body: { elements: [{ tag: 'markdown', content: 'x', colour: 'red' }] } }), /unknown property "colour"/],
    ['button without behaviors', () => ({ ...good(), body: { elements: [{ tag: 'button', text: { tag: 'plain_text', content: 'Go' } }] } }), /without behaviors/],
    [
      'button with only a link',
      () => ({ ...good(), body: { elements: [{ tag: 'button', text: { tag: 'plain_text', content: 'Go' }, behaviors: [{ type: 'open_url', default_url: 'https://x' }] }] } }),
      /without a callback behavior/,
    ],
    ['1.0 button value', () => ({ ...good(), body: { elements: [{ tag: 'button', text: { tag: 'plain_text', content: 'Go' }, value: { a: 1 } }] } }), /card JSON 1.0; use behaviors/],
    [
      'callback value not an object',
      () => ({ ...good(), body: { elements: [{ tag: 'button', text: { tag: 'plain_text', content: 'Go' }, behaviors: [{ type: 'callback', value: 'go' }] }] } }),
      /must be an object/,
    ],
    [
      'confirm without a title',
      () => ({
        ...good(),
        body: { elements: [{ tag: 'button', text: { tag: 'plain_text', content: 'Go' }, behaviors: [{ type: 'callback', value: {} }], confirm: { text: { tag: 'plain_text', content: '?' } } }] },
      }),
      /confirm\.title/,
    ],
    ['column_set holding a markdown', () => ({ ...good(), body: { elements: [{ tag: 'column_set', columns: [{ tag: 'markdown', content: 'x' }] }] } }), /holds only columns/],
    ['bad header colour', () => ({ ...good(), header: { title: { tag: 'plain_text', content: 'T' }, template: 'pink' } }), /unknown colour "pink"/],
    ['undefined value', () => ({ ...good(), header: { title: { tag: 'plain_text', content: 'T' }, template: undefined } }), /undefined/],
  ] as const)('flags %s', (_name, make, problem) => {
    const problems = larkCardProblems(make());
    expect(problems.some((p) => problem.test(p)), problems.join('\n')).toBe(true);
  });
});
