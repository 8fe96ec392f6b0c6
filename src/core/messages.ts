import type { Command } from '../../commands/index.ts';
import type { AnySpec, Registry } from './command-spec.ts';
import type { ChatError } from './errors.ts';
import { message, type Field, type Message } from './message.ts';
import type { Decision } from './policy.ts';
import { describeHpaSettings } from './autoscale.ts';
import { basisText } from './replica-formula.ts';
import type { Plan } from './resolve.ts';

/** Builders of the neutral messages the core produces; pure. */

const GATES: Readonly<Record<'manual' | 'first' | 'auto', string>> = {
  manual: 'manual: a person decides after each batch',
  first: 'first: a person decides after the first batch, then next batch when healthy',
  auto: 'auto: next batch when healthy',
};

export function usageErrorMessage(error: ChatError): Message {
  const fields: Field[] = [];
  if (error.expected !== undefined) fields.push({ label: 'Expected', value: error.expected });
  if (error.example !== undefined) fields.push({ label: 'Example', value: error.example });
  return message("I couldn't run that", 'error', { text: error.message, fields, context: [`error ${error.code}`] });
}

export function describePlan(plan: Plan): { title: string; fields: Field[]; lines: string[] } {
  const fields: Field[] = [];
  if (plan.env !== undefined) fields.push({ label: 'Environment', value: plan.env });
  if (plan.apps.length > 0) fields.push({ label: plan.apps.length === 1 ? 'App' : 'Apps', value: plan.apps.join(', ') });
  if (plan.promoteFrom !== undefined) fields.push({ label: 'From', value: plan.promoteFrom });
  if (plan.image !== undefined) fields.push({ label: 'Image', value: plan.image });
  if (plan.replicas !== undefined) fields.push({ label: 'Replicas', value: String(plan.replicas) });
  if (plan.suggest !== undefined) fields.push({ label: 'Suggest from', value: basisText(plan.suggest) });
  if (plan.autoscale !== undefined) fields.push({ label: 'Autoscaler', value: plan.autoscale === 'off' ? 'off: remove it, the replica count it last set stays' : describeHpaSettings(plan.autoscale) });
  if (plan.verb === 'rollback') fields.push({ label: 'To', value: plan.rollbackTo === undefined ? 'the last known-good revision on each cluster' : plan.rollbackTo });
  if (plan.gate !== undefined) fields.push({ label: 'Gate', value: GATES[plan.gate] });
  if (plan.reason !== undefined) fields.push({ label: 'Reason', value: plan.reason });
  const lines =
    plan.batches !== undefined
      ? plan.batches.map((b, i) => `batch ${i + 1}: ${b.map((t) => `${t.app}@${t.cluster}`).join(', ')}`)
      : plan.targets.map((t) => `${t.cluster} (${t.region}) ${t.namespace}/${t.kind.toLowerCase()}/${t.workload}`);
  const what = plan.apps.length === 1 ? plan.apps[0] : `${plan.apps.length} apps`;
  const where = plan.env === undefined ? '' : ` in ${plan.env}`;
  return { title: `${capitalize(plan.verb)} ${what ?? ''}${where}`.replace(/\s+/g, ' ').trim(), fields, lines };
}

export function decisionMessage(plan: Plan, decision: Decision, requester: string): Message {
  const d = describePlan(plan);
  const sections = d.lines.length > 0 ? [{ heading: plan.batches !== undefined ? 'Batches' : 'Targets', lines: d.lines }] : [];
  if (decision.kind === 'deny') {
    return message(`Not allowed: ${d.title}`, 'denied', { text: decision.reason, fields: d.fields, context: [`denied: ${decision.code}`, `requested by ${requester}`] });
  }
  if (decision.kind === 'approval') {
    return message(`Approval needed: ${d.title}`, 'needs_approval', {
      text: `${decision.count} approval(s) needed from ${decision.from.join(', ')}. Who may approve: ${decision.approvers.join(', ')} (not ${requester}: nobody approves their own request). Expires in ${decision.expiresIn.toString()}.`,
      fields: d.fields,
      sections,
      mentions: decision.approvers,
      context: [`requested by ${requester}`, `rule: ${decision.rule}`],
    });
  }
  return message(d.title, 'pending', { text: `Allowed by ${decision.rule}.`, fields: d.fields, sections, context: [`requested by ${requester}`] });
}

/** What a decision on an operation or alert says before it is looked up (a preview without the job engine). */
export function deferredMessage(command: Command): Message {
  const target = 'op' in command.args ? command.args.op : 'alert' in command.args ? command.args.alert : undefined;
  return message(`/${command.verb}${target === undefined ? '' : ` ${target}`}`, 'info', {
    text: `Checked against ${'op' in command.args ? 'the operation' : 'the alert'} it names (its environment and apps) when it is carried out, as its button is.`,
  });
}

export function helpMessage(registry: Registry, topic: string | undefined): Message {
  if (topic !== undefined && topic !== '') {
    const spec: AnySpec | undefined = Object.hasOwn(registry, topic) ? registry[topic] : undefined;
    if (spec === undefined) {
      return message('Help', 'error', { text: `There is no command "${topic}". Type help for the list.` });
    }
    const args = Object.entries(spec.argHelp).map(([k, h]) => `${k}: ${h.expect}`);
    return message(`/${spec.verb}`, 'info', {
      text: spec.summary,
      fields: [{ label: 'Usage', value: `/${spec.usage}` }],
      sections: [
        { heading: 'Examples', lines: spec.examples },
        ...(args.length > 0 ? [{ heading: 'Arguments', lines: args }] : []),
      ],
      context: ['Every command also works as /ops <command> … and after an @mention of the bot.'],
    });
  }
  const lines = Object.values(registry).map((s) => `/${s.usage} — ${s.summary}`);
  return message('Commands', 'info', {
    sections: [{ lines }],
    context: ['help <command> explains one. Every command also works as /ops <command> … and after an @mention.'],
  });
}

export function whoamiMessage(person: string | undefined, groups: readonly string[], access: readonly { rule: string; verbs: readonly string[]; envs: readonly string[]; apps: readonly string[]; approval: string | undefined }[]): Message {
  if (person === undefined) {
    return message("I don't know you yet", 'info', { text: "Your chat id is not in the bot's people list, so you can only use help and whoami." });
  }
  const lines = access.map(
    (a) => `${a.verbs.join(', ')} in ${a.envs.join(', ')}${a.apps.includes('*') ? '' : ` for ${a.apps.join(', ')}`}${a.approval === undefined ? '' : ` (approval: ${a.approval})`}`,
  );
  return message(`You are ${person}`, 'info', {
    fields: [{ label: 'Groups', value: groups.length > 0 ? groups.join(', ') : 'none' }],
    sections: [{ heading: 'You may', lines: lines.length > 0 ? lines : ['nothing yet beyond help and whoami'] }],
  });
}

export function commandLabel(command: Command): string {
  return `/${command.verb}`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
