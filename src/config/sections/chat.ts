import { z } from 'zod';
import { secret } from './fields.ts';

/**
 * The chat platforms' credentials and modes: Slack (HTTP or Socket Mode) and Lark/Feishu
 * (webhook or long connection). Each mode needs its own secrets, so a missing one is named
 * here, at load, rather than found when the first request fails to verify.
 */

export const slack = z
  .strictObject({
    /** HTTP mode verifies every request with it; Socket Mode authenticates the socket instead. */
    signingSecret: secret.optional(),
    botToken: secret.regex(/^xoxb-/, { message: 'a bot token starts with xoxb-' }),
    appToken: secret.regex(/^xapp-/, { message: 'an app-level token starts with xapp-' }).optional(),
    /** The workspace the bot serves; requests from any other team are refused. */
    teamId: z.string().regex(/^T[A-Z0-9]{2,}$/, { message: 'a Slack team id such as T0123ABCD' }),
    mode: z.enum(['http', 'socket']).default('http'),
    apiUrl: z.url().optional(),
  })
  .superRefine((s, ctx) => {
    if (s.mode === 'http' && s.signingSecret === undefined) ctx.addIssue({ code: 'custom', path: ['signingSecret'], message: 'HTTP mode needs the signing secret (SLACK_SIGNING_SECRET) to verify requests' });
    if (s.mode === 'socket' && s.appToken === undefined) ctx.addIssue({ code: 'custom', path: ['appToken'], message: 'Socket Mode needs an app-level token (SLACK_APP_TOKEN, xapp-…)' });
  });

export const lark = z
  .strictObject({
    /** The long connection refuses any other shape, so a typo is caught here rather than at start. */
    appId: z.string().regex(/^cli_[0-9a-f]{16}$/, { message: 'a Lark/Feishu app id such as cli_a1b2c3d4e5f60718' }),
    appSecret: secret,
    /** Webhook mode: the signature key and the key events are encrypted with (required there). */
    encryptKey: secret.optional(),
    /** Webhook mode: every event's header.token must equal it (required there). */
    verificationToken: secret.optional(),
    /** The one tenant (organisation) served; events from any other are refused. */
    tenantKey: secret,
    /** `feishu` (open.feishu.cn), `lark` (open.larksuite.com) or another base URL (tests). */
    domain: z.union([z.enum(['feishu', 'lark']), z.string().regex(/^https?:\/\/[^\s]+$/, { message: 'feishu, lark, or a base URL such as http://127.0.0.1:8080' })]).default('feishu'),
    mode: z.enum(['webhook', 'ws']).default('webhook'),
  })
  .superRefine((l, ctx) => {
    if (l.mode !== 'webhook') return;
    if (l.encryptKey === undefined) ctx.addIssue({ code: 'custom', path: ['encryptKey'], message: 'webhook mode needs the Encrypt Key (LARK_ENCRYPT_KEY): without one Lark signs nothing and the bot could not tell its events from forgeries' });
    if (l.verificationToken === undefined) ctx.addIssue({ code: 'custom', path: ['verificationToken'], message: 'webhook mode needs the Verification Token (LARK_VERIFICATION_TOKEN) to check each event' });
  });
