/**
 * Channel addresses as the bot writes them everywhere: "<platform>:<id>" ("slack:C0123",
 * "lark:oc_…", "console:ops"). The outbox picks a sender by the platform part; metrics and
 * spans label by it.
 */
export function platformOf(channel: string): string {
  const i = channel.indexOf(':');
  return i < 0 ? channel : channel.slice(0, i);
}

export function channelIdOf(channel: string): string {
  const i = channel.indexOf(':');
  return i < 0 ? channel : channel.slice(i + 1);
}

const KNOWN_PLATFORMS: ReadonlySet<string> = new Set(['slack', 'lark', 'console']);

/** The channel's platform as a metric label or span attribute: a known platform, else "other" (bounded). */
export function platformLabel(channel: string): string {
  const p = platformOf(channel);
  return KNOWN_PLATFORMS.has(p) ? p : 'other';
}
