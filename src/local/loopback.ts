import { isIPv4, isIPv6 } from 'node:net';

/**
 * Local mode's console lets whoever reaches it act as any configured person (a chooser, no
 * sign-in), so local mode is for one machine: it listens on loopback only, and each console
 * request must come from a loopback address. Pure.
 */

/** Whether an IP address (as a socket reports it, or as typed) is a loopback one: 127.0.0.0/8 or ::1. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  // A dual-stack socket reports IPv4 peers as ::ffff:127.0.0.1.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1];
  const v4 = mapped ?? bare;
  if (isIPv4(v4)) return v4.startsWith('127.');
  if (!isIPv6(bare)) return false;
  // Canonical form, so 0:0:0:0:0:0:0:1 and ::0001 are ::1 too.
  return new URL(`http://[${bare}]/`).hostname === '[::1]';
}

/** Whether an address to listen on keeps the server on this machine. */
export function isLoopbackBind(host: string): boolean {
  return host.toLowerCase() === 'localhost' || isLoopbackAddress(host);
}

/**
 * Why the API may not listen on `host` in this mode, naming the address and what to do
 * instead; undefined when it may.
 */
export function localBindProblem(mode: string, host: string): string | undefined {
  if (mode !== 'local' || isLoopbackBind(host)) return undefined;
  return (
    `Refusing to listen on ${host === '' ? 'every address' : host} in local mode: its console lets whoever reaches it act as any person, ` +
    `so local mode listens on loopback only. Listen on 127.0.0.1 (--host 127.0.0.1, or server.host: 127.0.0.1 in the config), ` +
    `or, to serve other machines, set mode: production and give each person a console token (people.<name>.consoleTokenHash).`
  );
}
