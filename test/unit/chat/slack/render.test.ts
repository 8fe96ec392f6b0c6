import { sampleSuggestion } from '../../support/suggestion.ts';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commands } from '../../../../commands/index.ts';
import type { Block, ButtonElement, SectionBlock } from '../../../../src/chat/slack/blocks.ts';
import { BLOCK_TEXT_BUDGET, checkBlockKitLimits } from '../../../../src/chat/slack/limits.ts';
import { actionOf } from '../../../../src/chat/action-id.ts';
import { escapeMrkdwn } from '../../../../src/chat/slack/mrkdwn.ts';
import { renderSlack, type SlackRenderOptions, type SlackRendered } from '../../../../src/chat/slack/render.ts';
import { decide, openApproval, type ApprovalState } from '../../../../src/core/approval.ts';
import { Duration } from '../../../../src/core/duration.ts';
import { chatError } from '../../../../src/core/errors.ts';
import { message, type Message } from '../../../../src/core/message.ts';
import { decisionMessage, helpMessage, usageErrorMessage, whoamiMessage } from '../../../../src/core/messages.ts';
import type { Decision } from '../../../../src/core/policy.ts';
import type { Plan } from '../../../../src/core/resolve.ts';
import type { Target } from '../../../../src/core/targets.ts';
import type { OpRecord } from '../../../../src/jobs/operations.ts';
import { approvalOutcomeMessage, approvalRequestMessage, opMessage } from '../../../../src/service/messages.ts';
import { opView } from '../../../../src/service/op-view.ts';
import { withChecks } from '../../../../src/service/diff-message.ts';
import { JOB_LINK, deployPreviews, preflightReport } from '../../support/checks.ts';

/**
 * Golden files: each realistic message (built with the real builders) rendered to Block Kit and
 * compared with test/unit/chat/slack/golden/<name>.json. A missing or changed golden fails; run
 * with UPDATE_GOLDEN=1 to (re)write them, then review the diff.
 */
const GOLDEN_DIR = resolve(import.meta.dirname, 'golden');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

function matchGolden(name: string, value: unknown): void {
  const file = join(GOLDEN_DIR, `${name}.json`);
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (UPDATE) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, text);
    return;
  }
  if (!existsSync(file)) throw new Error(`golden file ${file} is missing: run the test with UPDATE_GOLDEN=1 and review it`);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

const SLACK_IDS: Readonly<Record<string, string>> = { alice: 'U0ALICE01', bob: 'U0BOB0001', dave: 'not a valid id>' };
const opts = (seed = 'op-1-1'): SlackRenderOptions => ({ slackIdOf: (p) => SLACK_IDS[p], blockIdSeed: seed });

/** Every limit Slack has, plus our own: the block text budget and ≤3000 chars per overflow chunk and fallback. */
function violations(r: SlackRendered): string[] {
  const out = checkBlockKitLimits(r.blocks, { textBudget: BLOCK_TEXT_BUDGET });
  if (r.text.length > 3000) out.push(`fallback text is ${r.text.length} chars`);
  if (r.text === '') out.push('fallback text is empty');
  r.overflow.forEach((c, i) => {
    if (c.length > 3000) out.push(`overflow chunk ${i} is ${c.length} chars`);
    if (c === '') out.push(`overflow chunk ${i} is empty`);
  });
  return out;
}

// ---- realistic fixtures -------------------------------------------------------------------

const T0 = new Date('2025-03-04T05:06:07.000Z');

function target(app: string, cluster: string, region: string): Target {
  return { app, env: 'prod', cluster, region, namespace: `${app}-prod`, kind: 'Deployment', workload: app, container: undefined };
}

const prodTargets = [target('web', 'gz-prod', 'gz'), target('web', 'nj-prod', 'nj'), target('web', 'hk-prod', 'hk')];

const deployPlan: Plan = {
  verb: 'deploy',
  env: 'prod',
  apps: ['web'],
  targets: prodTargets,
  image: 'registry.example.com/web:v1.4.2',
  reason: 'hotfix for login <!channel> & friends',
  dryRun: false,
};

const upgradePlan: Plan = {
  verb: 'upgrade',
  env: 'prod',
  apps: ['web', 'api'],
  targets: [...prodTargets, target('api', 'gz-prod', 'gz'), target('api', 'nj-prod', 'nj')],
  image: 'registry.example.com/base:2.1',
  batches: [
    [target('web', 'gz-prod', 'gz'), target('api', 'gz-prod', 'gz')],
    [target('web', 'nj-prod', 'nj'), target('api', 'nj-prod', 'nj')],
    [target('web', 'hk-prod', 'hk')],
  ],
  gate: 'manual',
  dryRun: false,
};

const approvalDecision: Decision = { kind: 'approval', rule: 'prod-changes', count: 1, approvers: ['bob', 'carol'], from: ['group:sre'], expiresIn: new Duration(3600) };

function approval(): ApprovalState {
  const r = openApproval({ id: 'apr-7f3a', requester: 'alice', approvers: ['bob', 'carol'], required: 1, digest: 'sha256:0a1b', now: T0, expiresInSeconds: 3600 });
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

function op(over: Partial<OpRecord>): OpRecord {
  return {
    id: 'op-20250304-0001',
    kind: 'deploy',
    status: 'running',
    env: 'prod',
    app: 'web',
    requestedBy: 'alice',
    approvedBy: ['bob'],
    summary: 'Deploy registry.example.com/web:v1.4.2 to 3 clusters.',
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    createdAt: T0.toISOString(),
    updatedAt: T0.toISOString(),
    ...over,
  };
}

const traceLink = { label: 'Trace', url: 'https://grafana.example.com/explore?traceId=4bf92f3577b34da6a3ce929d0e0e4736&orgId=1' };

const CASES: readonly (readonly [string, () => Message])[] = [
  ['approval-request-prod', () => approvalRequestMessage(decisionMessage(deployPlan, approvalDecision, 'alice'), approval(), 'op-20250304-0001', 'prod')],
  ['approval-request-upgrade-staging', () => approvalRequestMessage(decisionMessage({ ...upgradePlan, env: 'staging' }, approvalDecision, 'alice'), approval(), 'op-20250304-0002')],
  ['approval-request-300-targets', () => {
    const targets = Array.from({ length: 300 }, (_, i) => target(`svc-${String(i).padStart(3, '0')}`, ['gz-prod', 'nj-prod', 'hk-prod'][i % 3] ?? 'gz-prod', ['gz', 'nj', 'hk'][i % 3] ?? 'gz'));
    const plan: Plan = { ...deployPlan, apps: targets.map((t) => t.app), targets, reason: 'quarterly base image refresh' };
    return approvalRequestMessage(decisionMessage(plan, approvalDecision, 'alice'), approval(), 'op-20250304-0003', 'prod');
  }],
  ['approval-request-diff-preflight', () =>
    approvalRequestMessage(withChecks(decisionMessage(deployPlan, approvalDecision, 'alice'), deployPreviews(['gz-prod', 'nj-prod', 'hk-prod']), preflightReport('warn', 'gz-prod Deployment web-prod/web'), JOB_LINK), approval(), 'op-20250304-0001', 'prod')],
  ['approval-request-long-diff', () =>
    approvalRequestMessage(withChecks(decisionMessage(deployPlan, approvalDecision, 'alice'), deployPreviews(['gz-prod', 'nj-prod', 'hk-prod'], 'web', 30), preflightReport('warn', 'gz-prod Deployment web-prod/web'), JOB_LINK), approval(), 'op-20250304-0001', 'prod')],
  ['approval-outcome-approved', () => {
    const d = decide(approval(), { kind: 'approve', actor: 'bob', now: new Date(T0.getTime() + 60_000) });
    return approvalOutcomeMessage(d.outcome, d.state, 'bob');
  }],
  ['decision-denied', () => decisionMessage(deployPlan, { kind: 'deny', code: 'E_FROZEN', reason: 'prod is frozen until 2025-03-05T00:00:00Z: release freeze.' }, 'alice')],
  ['op-running-with-progress', () => ({
    ...opMessage(op({ kind: 'upgrade', status: 'running', app: 'web', summary: 'Batch upgrade of web, api to registry.example.com/base:2.1 in 3 batches.' }), { links: [traceLink] }),
    progress: { done: 3, total: 8, label: 'batch 2 of 3' },
  })],
  ['op-succeeded', () => opMessage(op({
    status: 'succeeded',
    result: {
      outcome: 'succeeded',
      summary: 'deploy succeeded on 3 workload(s)',
      targets: [
        { cluster: 'gz-prod', workload: 'web', outcome: 'done', message: 'rolled out 4/4 replicas' },
        { cluster: 'nj-prod', workload: 'web', outcome: 'done', message: 'rolled out 4/4 replicas' },
        { cluster: 'hk-prod', workload: 'web', outcome: 'unchanged', message: 'already at v1.4.2' },
      ],
    },
  }), { links: [traceLink, { label: 'Logs | web > prod', url: 'https://logs.example.com/q?app=web|prod' }] })],
  ['op-failed', () => opMessage(op({
    status: 'failed',
    summary: 'deploy failed on 1 of 2 workload(s): nj-prod: ImagePullBackOff',
    result: {
      outcome: 'failed',
      summary: 'deploy failed on 1 of 2 workload(s)',
      targets: [
        { cluster: 'gz-prod', workload: 'web', outcome: 'done', message: 'rolled out 4/4 replicas' },
        { cluster: 'nj-prod', workload: 'web', outcome: 'rolled_back', message: 'pod web-7d9f: ImagePullBackOff (image <none> not found & retried 3x); rolled back to revision 12' },
      ],
    },
  }), { links: [traceLink] })],
  ['scale-suggestion', () => sampleSuggestion()],
  ['help', () => helpMessage(commands, undefined)],
  ['help-upgrade', () => helpMessage(commands, 'upgrade')],
  ['usage-error', () => usageErrorMessage(chatError('E_UNKNOWN_ENV', 'There is no environment "prdo".', { expected: 'one of: dev, staging, prod', example: '/deploy web v1.4.2 to prod' }))],
  // The live message of a paused upgrade: "Abort and roll back" asks first (a confirm dialog).
  ['op-paused-upgrade', () => opView({
    op: op({ kind: 'upgrade', status: 'paused', app: 'web,api', summary: 'batch 1 of 3 is healthy; waiting for a decision: /continue op-20250304-0001 for batch 2, or /abort op-20250304-0001 [--rollback]' }),
    links: [traceLink],
  })],
  ['op-blocked-request-again', () => opView({
    op: op({ status: 'blocked', summary: 'Approved by bob, but not run: prod is frozen by carol until 2025-03-05T00:00:00.000Z: incident 7', request: 'deploy web v1.4.2 to prod' }),
    links: [traceLink],
  })],
  ['op-queued-behind', () => opView({
    op: op({ status: 'queued', approvedBy: [], summary: 'deploy of web in prod requested by alice', queuedBehind: 'Queued behind op-20250304-0000 (deploy web v1.4.1 in prod by bob, running); it starts when that one is done.' }),
    links: [traceLink],
  })],
  ['whoami', () => whoamiMessage('alice', ['dev', 'sre'], [{ rule: 'devs', verbs: ['deploy', 'scale', 'restart'], envs: ['dev', 'staging'], apps: ['*'], approval: undefined }, { rule: 'prod', verbs: ['deploy'], envs: ['prod'], apps: ['web', 'api'], approval: '1 of group:sre' }])],
];

describe('renderSlack: golden files', () => {
  it.each(CASES)('%s', (name, build) => {
    const r = renderSlack(build(), opts(`${name}-1`));
    expect(violations(r)).toEqual([]);
    matchGolden(name, r);
  });

  it('has no stray golden files', () => {
    if (!existsSync(GOLDEN_DIR)) return;
    const names = new Set(CASES.map(([n]) => `${n}.json`));
    for (const f of readdirSync(GOLDEN_DIR)) expect(names.has(f), `stray golden ${f}`).toBe(true);
  });
});

// ---- limits -------------------------------------------------------------------------------

function sections(r: SlackRendered): SectionBlock[] {
  return r.blocks.filter((b): b is SectionBlock => b.type === 'section');
}

function unescape(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The lines inside ``` fences, in order, unescaped. */
function codeLines(mrkdwn: string): string[] {
  const out: string[] = [];
  let inside = false;
  for (const line of mrkdwn.split('\n')) {
    if (line === '```') inside = !inside;
    else if (inside) out.push(unescape(line));
  }
  return out;
}

function allButtons(r: SlackRendered): ButtonElement[] {
  return r.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
}

describe('renderSlack: limits', () => {
  const plan = (n: number): string[] => Array.from({ length: n }, (_, i) => `cluster-${String(i).padStart(4, '0')} (region-${i % 7}) web-prod/deployment/web-${i}`);

  it('2,000 section lines: within every limit, cut at a line, the rest in the thread exactly once and in order', () => {
    const lines = plan(2000);
    const r = renderSlack(message('Upgrade 1,000 workloads in prod', 'needs_approval', { text: 'Plan below.', sections: [{ heading: 'Targets', lines }] }), opts());
    expect(violations(r)).toEqual([]);
    const shown = sections(r).flatMap((s) => codeLines(s.text?.text ?? ''));
    const rest = r.overflow.flatMap(codeLines);
    expect(shown.length).toBeGreaterThan(50);
    expect([...shown, ...rest]).toEqual(lines);
    const note = r.blocks.find((b) => b.block_id.endsWith('.more'));
    expect(note?.type === 'context' ? note.elements[0]?.text : undefined).toBe(`_… ${2000 - shown.length} more lines in the thread_`);
    expect(r.overflow[0]?.startsWith('*Targets* _(continued)_\n```\n')).toBe(true);
  });

  it('a cut stops at the cut section: later sections go to the thread whole, in order', () => {
    const a = plan(1500);
    const b = ['after 1', 'after 2'];
    const r = renderSlack(message('Two sections', 'info', { sections: [{ heading: 'First', lines: a }, { heading: 'Second', lines: b }] }), opts());
    expect(violations(r)).toEqual([]);
    const shown = sections(r).flatMap((s) => codeLines(s.text?.text ?? ''));
    expect([...shown, ...r.overflow.flatMap(codeLines)]).toEqual([...a, ...b]);
    expect(r.overflow.join('\n')).toContain('*Second*\n```\nafter 1\nafter 2\n```');
    const note = r.blocks.find((x) => x.block_id.endsWith('.more'));
    expect(note?.type === 'context' ? note.elements[0]?.text : '').toBe(`_… ${a.length - shown.length + b.length} more lines in the thread_`);
  });

  it('a long help fits in the message when it can (no overflow, several section blocks)', () => {
    const r = renderSlack(helpMessage(commands, undefined), opts());
    expect(r.overflow).toEqual([]);
    const lines = sections(r).flatMap((s) => codeLines(s.text?.text ?? ''));
    expect(lines).toEqual(Object.values(commands).map((s) => `/${s.usage} — ${s.summary}`));
  });

  it('a very long text and a line longer than a section are split, not lost', () => {
    const long = 'x'.repeat(7000);
    const text = Array.from({ length: 40 }, (_, i) => `sentence ${i} ${'y'.repeat(200)}`).join('\n');
    const r = renderSlack(message('Long', 'info', { text, sections: [{ lines: [long, 'short'] }] }), opts());
    expect(violations(r)).toEqual([]);
    const all = [...r.blocks.flatMap((b) => (b.type === 'section' && b.text !== undefined ? [b.text.text] : [])), ...r.overflow].join('\n');
    expect(all.replace(/[\n`]|\*|_\(continued\)_/g, '')).toContain(long);
    for (let i = 0; i < 40; i++) expect(all).toContain(`sentence ${i} ${'y'.repeat(200)}`);
  });

  it('30 buttons: all there, ≤25 per actions block, action_ids unique', () => {
    const buttons = Array.from({ length: 30 }, (_, i) => ({ label: `Button ${i}`, action: `act${i % 3}`, value: `v${i}` }));
    const r = renderSlack(message('Many buttons', 'info', { buttons }), opts());
    expect(violations(r)).toEqual([]);
    const els = allButtons(r);
    expect(els.map((e) => e.value)).toEqual(buttons.map((b) => b.value));
    expect(new Set(els.map((e) => e.action_id)).size).toBe(30);
    expect(els.map((e) => actionOf(e.action_id))).toEqual(buttons.map((b) => b.action));
  });

  it('a 200-char title is cut to 150 with …', () => {
    const title = 'T'.repeat(200);
    const r = renderSlack(message(title, 'succeeded'), opts());
    expect(violations(r)).toEqual([]);
    const header = r.blocks[0];
    expect(header?.type).toBe('header');
    const text = header?.type === 'header' ? header.text.text : '';
    expect(text.length).toBe(150);
    expect(text.startsWith(':white_check_mark: TTT')).toBe(true);
    expect(text.endsWith('…')).toBe(true);
  });

  it('escapes user text, so <!channel> pings nobody', () => {
    const evil = '<!channel> & <@U999|boss> <https://evil.example|click>';
    const m = message(`Deploy ${evil}`, 'needs_approval', {
      text: `reason: ${evil}`,
      fields: [{ label: 'Reason', value: evil }],
      progress: { done: 1, total: 2, label: evil },
      sections: [{ heading: evil, lines: [evil] }],
      mentions: [evil],
      links: [{ label: evil, url: 'https://ok.example/a' }],
      context: [evil],
    });
    const r = renderSlack(m, opts());
    expect(violations(r)).toEqual([]);
    const mrkdwnTexts = [
      r.text,
      ...r.blocks.flatMap((b) => (b.type === 'section' ? [b.text?.text ?? '', ...(b.fields ?? []).map((f) => f.text)] : b.type === 'context' ? b.elements.map((e) => e.text) : [])),
    ];
    for (const t of mrkdwnTexts) {
      expect(t).not.toContain('<!channel>');
      expect(t).not.toContain('<@U999');
      expect(t).not.toContain('<https://evil');
    }
    expect(r.text).toContain(escapeMrkdwn(evil));
    // The link is the only <…> produced, with its label defused.
    const links = sections(r).find((s) => s.block_id.endsWith('.links'))?.text?.text ?? '';
    expect(links).toBe(':link: <https://ok.example/a|&lt;!channel&gt; &amp; &lt;@U999∣boss&gt; &lt;https://evil.example∣click&gt;>');
  });

  it('links: | and > cannot end the label or the url; only http(s) and mailto become links', () => {
    const r = renderSlack(
      message('Links', 'info', { links: [{ label: 'a|b>c', url: 'https://x.example/p?q=a|b>c' }, { label: 'js', url: 'javascript:alert(1)' }, { label: '', url: 'mailto:ops@example.com' }] }),
      opts(),
    );
    const text = sections(r).find((s) => s.block_id.endsWith('.links'))?.text?.text;
    expect(text).toBe(':link: <https://x.example/p?q=a%7Cb%3Ec|a∣b&gt;c> · js: javascript:alert(1) · <mailto:ops@example.com|mailto:ops@example.com>');
  });

  it('mentions: a known person by Slack id, anyone else (or a malformed id) by name', () => {
    const r = renderSlack(message('Ping', 'needs_approval', { mentions: ['alice', 'carol', 'dave'] }), opts());
    expect(sections(r).find((s) => s.block_id.endsWith('.mentions'))?.text?.text).toBe(':bell: <@U0ALICE01> @carol @dave');
  });

  it('duplicate actions get unique, deterministic action_ids', () => {
    const buttons = [
      { label: 'Approve', action: 'approve', value: 'a1' },
      { label: 'Approve too', action: 'approve', value: 'a2' },
      { label: 'Odd', action: 'approve-2', value: 'a3' },
      { label: 'Approve 3', action: 'approve', value: 'a4' },
    ];
    const r = renderSlack(message('Dups', 'info', { buttons }), opts());
    expect(violations(r)).toEqual([]);
    expect(allButtons(r).map((e) => e.action_id)).toEqual(['approve', 'approve-2', 'approve-2-2', 'approve-3']);
    expect(allButtons(r).map((e) => actionOf(e.action_id))).toEqual(['approve', 'approve', 'approve-2', 'approve']);
  });

  it('a confirm button renders a confirm dialog; others none', () => {
    const base = decisionMessage(deployPlan, approvalDecision, 'alice');
    const r = renderSlack(approvalRequestMessage(base, approval(), 'op-1', 'prod'), opts());
    const [approve, reject] = allButtons(r);
    expect(approve).toEqual({
      type: 'button',
      action_id: 'approve',
      text: { type: 'plain_text', text: 'Approve', emoji: true },
      value: 'apr-7f3a@sha256:0a1b',
      style: 'primary',
      confirm: {
        title: { type: 'plain_text', text: 'Are you sure?' },
        text: { type: 'plain_text', text: 'Approve this change in prod? It runs as soon as enough approvals are in.' },
        confirm: { type: 'plain_text', text: 'Yes, approve' },
        deny: { type: 'plain_text', text: 'Cancel' },
        style: 'primary',
      },
    });
    expect(reject?.confirm).toBeUndefined();
    expect(reject?.style).toBe('danger');
  });

  it('long button labels, values and confirm questions are cut to Slack limits', () => {
    const r = renderSlack(message('Big', 'info', { buttons: [{ label: 'L'.repeat(100), action: 'a'.repeat(300), value: 'v'.repeat(2500), confirm: 'q'.repeat(400) }] }), opts());
    expect(violations(r)).toEqual([]);
  });

  it('more than 10 context items are joined into the 10th element', () => {
    const context = Array.from({ length: 14 }, (_, i) => `c${i}`);
    const r = renderSlack(message('Ctx', 'info', { context }), opts());
    const ctx = r.blocks.at(-1);
    expect(ctx?.type === 'context' ? ctx.elements.map((e) => e.text) : []).toEqual([...context.slice(0, 9), 'c9 · c10 · c11 · c12 · c13']);
  });

  it('many and huge fields: ≤10 per section, each ≤2000, the full value in the thread', () => {
    const fields = Array.from({ length: 12 }, (_, i) => ({ label: `F${i}`, value: i === 3 ? 'z'.repeat(5000) : `value ${i}` }));
    const r = renderSlack(message('Fields', 'info', { fields }), opts());
    expect(violations(r)).toEqual([]);
    const fs = sections(r).filter((s) => s.fields !== undefined);
    expect(fs.map((s) => s.fields?.length)).toEqual([10, 2]);
    expect(fs[0]?.fields?.[3]?.text.endsWith('… _(in full in the thread)_')).toBe(true);
    expect(r.overflow.join('').replace(/\n/g, '')).toContain(`*F3:* ${'z'.repeat(5000)}`);
  });

  it('block ids: unique, ≤255, seeded, so an update gets new ones', () => {
    const m = CASES.find(([n]) => n === 'approval-request-prod')?.[1]() ?? message('x', 'info');
    const a = renderSlack(m, opts('op-1-1'));
    const b = renderSlack(m, opts('op-1-2'));
    const long = renderSlack(m, opts('k'.repeat(400)));
    for (const r of [a, b, long]) expect(violations(r)).toEqual([]);
    const ids = (r: SlackRendered): string[] => r.blocks.map((x: Block) => x.block_id);
    expect(ids(a).filter((x) => ids(b).includes(x))).toEqual([]);
    expect(renderSlack(m, opts('k'.repeat(400)))).toEqual(long);
  });

  it('is deterministic', () => {
    for (const [, build] of CASES) expect(renderSlack(build(), opts())).toEqual(renderSlack(build(), opts()));
  });

  it('any message stays within the limits and loses no section line (property)', () => {
    const str = fc.string({ maxLength: 300, unit: fc.constantFrom('a', 'b', ' ', '<', '>', '&', '|', '`', '*', '\n', 'é', '😀') });
    const msg = fc.record({
      title: str,
      status: fc.constantFrom('info', 'pending', 'needs_approval', 'running', 'paused', 'succeeded', 'failed', 'denied', 'error'),
      text: fc.option(fc.string({ maxLength: 4000, size: 'max' }), { nil: undefined }),
      fields: fc.array(fc.record({ label: str, value: fc.string({ maxLength: 3000, size: 'max' }) }), { maxLength: 14 }),
      sections: fc.array(fc.record({ heading: fc.option(str, { nil: undefined }), lines: fc.array(fc.string({ maxLength: 400, size: 'max' }), { maxLength: 300, size: 'max' }) }), { maxLength: 4 }),
      buttons: fc.array(fc.record({ label: str, action: fc.constantFrom('approve', 'reject', 'x'), value: str }), { maxLength: 30, size: 'max' }),
      links: fc.array(fc.record({ label: str, url: fc.webUrl() }), { maxLength: 5 }),
      context: fc.array(str, { maxLength: 14 }),
      mentions: fc.array(fc.constantFrom('alice', 'bob', 'carol', '<!here>'), { maxLength: 6 }),
    });
    fc.assert(
      fc.property(msg, (raw) => {
        const m = message(raw.title, raw.status, {
          ...(raw.text === undefined ? {} : { text: raw.text }),
          fields: raw.fields,
          sections: raw.sections.map((s) => (s.heading === undefined ? { lines: s.lines } : { heading: s.heading, lines: s.lines })),
          buttons: raw.buttons,
          links: raw.links,
          context: raw.context,
          mentions: raw.mentions,
        });
        const r = renderSlack(m, opts());
        expect(violations(r)).toEqual([]);
        // Section lines without newlines or fences survive in order: shown, then the thread.
        const clean = m.sections?.every((s) => !/[`\n]/.test(s.heading ?? '') && s.lines.every((l) => !/[`\n]/.test(l) && l.length <= 2500)) ?? true;
        if (clean && (m.text === undefined || m.text === '') && m.fields.length === 0) {
          const shown = sections(r).flatMap((s) => codeLines(s.text?.text ?? ''));
          expect([...shown, ...r.overflow.flatMap(codeLines)]).toEqual(m.sections?.flatMap((s) => s.lines) ?? []);
        }
      }),
      { numRuns: 100 },
    );
  }, 30_000);
});
