import type { Config } from '../config/schema.ts';
import { targetsFor } from '../core/targets.ts';
import type { GatewayFor } from '../jobs/bind.ts';
import { selectContainers, tagOf } from '../kube/images.ts';
import { lazyGatewayFor } from '../kube/lazy-gateway.ts';
import type { PodRun } from '../kube/pod-images.ts';
import type { PartFactory } from '../server/part.ts';

/**
 * Local mode's stand-in for the sample apps' health endpoints (the workloads on the local
 * control plane are kwok's and serve nothing): GET /sample-probe/{cluster}/{env}/{app} answers
 * from what that workload really runs, read from its cluster's API now, so a deploy can't pass
 * its probe unless the image it rolled out is one that answers well:
 *
 * - a tag ending in `probe500` answers 500;
 * - a tag ending in `probe-error` answers 200 with "ERROR" in the body;
 * - a tag ending in `probe-slow-<n>` answers 503 for the first n seconds after its pod became
 *   Ready, then 200 (an app that starts slowly);
 * - any other image answers 200.
 *
 * Like a load balancer that sooner or later sends you to every pod, it answers as the least
 * healthy of the Ready pods; with no Ready pod it answers 503.
 */
export interface SampleAnswer {
  readonly status: number;
  readonly body: string;
}

const SLOW = /probe-slow-(\d{1,5})$/;

/** How one pod answers, judged by the images of the app's containers in it. */
function podAnswer(pod: PodRun, images: readonly string[], nowMs: number): SampleAnswer {
  for (const image of images) {
    const tag = tagOf(image) ?? '';
    if (tag.endsWith('probe500')) return { status: 500, body: `internal error (pod ${pod.name} runs ${image})\n` };
  }
  for (const image of images) {
    const slow = SLOW.exec(tagOf(image) ?? '');
    if (slow === null) continue;
    const readyFor = pod.readySince === undefined ? 0 : (nowMs - pod.readySince.getTime()) / 1000;
    if (readyFor < Number(slow[1])) return { status: 503, body: `starting (pod ${pod.name} ready for ${Math.max(0, Math.floor(readyFor))} s of ${slow[1]} s)\n` };
  }
  for (const image of images) {
    if ((tagOf(image) ?? '').endsWith('probe-error')) return { status: 200, body: `ERROR: the app is up but failing (pod ${pod.name} runs ${image})\n` };
  }
  return { status: 200, body: `ok (pod ${pod.name} runs ${images.join(', ')})\n` };
}

/** Worse answers first: a server error, then not serving yet, then an error page with 200. */
function badness(a: SampleAnswer): number {
  if (a.status >= 500 && a.status !== 503) return 3;
  if (a.status === 503) return 2;
  return a.body.includes('ERROR') ? 1 : 0;
}

/** The answer for a workload's pods; `containers` names the app's containers. Pure. */
export function sampleAnswer(pods: readonly PodRun[], containers: ReadonlySet<string>, nowMs: number): SampleAnswer {
  const ready = pods.filter((p) => p.ready);
  if (ready.length === 0) return { status: 503, body: `no Ready pod (${pods.length} pod(s))\n` };
  const answers = ready.map((p) => podAnswer(p, p.containers.filter((c) => containers.has(c.name)).map((c) => c.image), nowMs));
  return answers.reduce((worst, a) => (badness(a) > badness(worst) ? a : worst));
}

const PREFIX = '/sample-probe/';

/** The answer for `<cluster>/<env>/<app>` (the path after /sample-probe/), read from the cluster now. */
export async function answerSampleProbe(config: Config, gatewayFor: GatewayFor, nowMs: number, path: string): Promise<SampleAnswer> {
  try {
    const [cluster = '', env = '', app = ''] = path.split('/').map((p) => decodeURIComponent(p));
    const target = targetsFor(config, app, env, cluster)[0];
    if (target === undefined) return { status: 404, body: `no app ${app} in ${env} on cluster ${cluster}\n` };
    const ref = { namespace: target.namespace, kind: target.kind, name: target.workload };
    const gw = gatewayFor(cluster);
    const [status, pods] = await Promise.all([gw.status(ref), gw.pods(ref)]);
    const sel = selectContainers(status.containers, config.apps[app]?.image ?? '', target.container);
    if (!sel.ok) return { status: 500, body: `${sel.problem}\n` };
    return sampleAnswer(pods, new Set(sel.containers.map((c) => c.name)), nowMs);
  } catch (e) {
    // The cluster did not answer: so would the app's real endpoint, as far as a probe can tell.
    return { status: 503, body: `could not read the workload: ${e instanceof Error ? e.message : String(e)}\n` };
  }
}

export const sampleProbePart: PartFactory = (ctx) => {
  if (ctx.config.mode !== 'local') return undefined;
  const { config, s } = ctx;
  return {
    name: 'sample-probe',
    routes: {
      'GET /sample-probe/*': async (req, res) => {
        const a = await answerSampleProbe(config, s.gatewayFor, s.clock().getTime(), (req.url ?? '').split('?')[0]?.slice(PREFIX.length) ?? '');
        res.writeHead(a.status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
        res.end(a.body);
      },
    },
  };
};

/**
 * For a local-mode process without the HTTP server (`chatops worker`, `chatops run`): a fetch
 * that answers the sample probe's loopback URLs itself, exactly as the server would, and passes
 * everything else on. Without it, a lone worker would find nobody answering the embedded
 * config's probe and fail every probed deploy.
 */
export function sampleProbeFetch(config: Config, gatewayFor: GatewayFor, inner: typeof globalThis.fetch = globalThis.fetch): typeof globalThis.fetch {
  return async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
    if (!loopback || !url.pathname.startsWith(PREFIX) || (init?.method ?? 'GET') !== 'GET') return inner(input, init);
    const answer = answerSampleProbe(config, gatewayFor, Date.now(), url.pathname.slice(PREFIX.length));
    // The probe's timeout (its abort signal) holds here as it would for a real request.
    const signal = init?.signal ?? undefined;
    const a = signal === undefined ? await answer : await Promise.race([answer, aborted(signal)]);
    return new Response(a.body, { status: a.status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  };
}

/** createServices options for such a process: in local mode, one gateway shared with that fetch. */
export function localProbes(config: Config): { gatewayFor?: GatewayFor; fetch?: typeof globalThis.fetch } {
  if (config.mode !== 'local') return {};
  const gatewayFor = lazyGatewayFor(config);
  return { gatewayFor, fetch: sampleProbeFetch(config, gatewayFor) };
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
}
