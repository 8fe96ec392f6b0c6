/**
 * The one neutral message every surface renders: Slack Block Kit, Lark cards, the web
 * console and the CLI's plain text. Builders in messages.ts fill it; renderers never decide
 * content, they only lay it out.
 */
export type MessageStatus = 'info' | 'pending' | 'needs_approval' | 'running' | 'paused' | 'succeeded' | 'failed' | 'denied' | 'error';

export interface Field {
  readonly label: string;
  readonly value: string;
}

export interface Button {
  readonly label: string;
  /** What clicking does, e.g. "approve"; the adapter routes on it. */
  readonly action: string;
  /** An opaque id (approval id, operation id); never the change itself. */
  readonly value: string;
  readonly style?: 'primary' | 'danger';
  /** Ask before acting (prod approvals): the question shown in a confirm dialog. */
  readonly confirm?: string;
}

export interface Link {
  readonly label: string;
  readonly url: string;
}

export interface Progress {
  readonly done: number;
  readonly total: number;
  readonly label?: string;
}

export interface Message {
  readonly title: string;
  readonly status: MessageStatus;
  /** One or two sentences. */
  readonly text?: string;
  readonly fields: readonly Field[];
  readonly progress?: Progress;
  /** Longer preformatted lists: help, plans, per-pod diagnoses. */
  readonly sections?: readonly { readonly heading?: string; readonly lines: readonly string[] }[];
  readonly buttons: readonly Button[];
  readonly links: readonly Link[];
  /** Small print: ids, who asked, what is not done yet. */
  readonly context: readonly string[];
  /** Messages about the same operation share a key so they update one message or thread. */
  readonly thread?: { readonly key: string; readonly update: boolean };
  /** People to notify (config names); renderers turn them into mentions. */
  readonly mentions?: readonly string[];
}

export function message(title: string, status: MessageStatus, rest: Partial<Omit<Message, 'title' | 'status'>> = {}): Message {
  return { title, status, fields: [], buttons: [], links: [], context: [], ...rest };
}
