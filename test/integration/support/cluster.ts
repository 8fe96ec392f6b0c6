import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import { clientsFor, type KubeClients } from '../../../src/kube/clients.ts';
import { gatewayForClients, type ClusterGateway } from '../../../src/kube/gateway.ts';
import type { ClusterInfo } from '../../../src/local/clusters-json.ts';
import './context.ts';

export type { ClusterInfo };

export const BOT_USER = 'chatops-bot';

let cached: ClusterInfo[] | undefined;

export function clusters(): ClusterInfo[] {
  cached ??= JSON.parse(readFileSync(inject('clustersJson'), 'utf8')) as ClusterInfo[];
  return cached;
}

export function cluster(name = 'gz'): ClusterInfo {
  const c = clusters().find((x) => x.name === name);
  if (c === undefined) throw new Error(`cluster ${name} is not in ${inject('clustersJson')}`);
  return c;
}

/** system:masters: for setup and for reading back what really happened. */
export function adminClients(name = 'gz'): KubeClients {
  const c = cluster(name);
  return clientsFor(c.name, c.region, { kubeconfig: inject('kubeconfig'), context: c.adminContext });
}

/** The bot's own identity (user chatops-bot), as the gateway runs in production. */
export function botClients(name = 'gz'): KubeClients {
  const c = cluster(name);
  return clientsFor(c.name, c.region, { kubeconfig: inject('kubeconfig'), context: c.botContext });
}

export function botGateway(name = 'gz'): ClusterGateway {
  return gatewayForClients(botClients(name));
}
