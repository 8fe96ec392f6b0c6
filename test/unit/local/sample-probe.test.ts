import { describe, expect, it } from 'vitest';
import type { PodRun } from '../../../src/kube/pod-images.ts';
import { sampleAnswer } from '../../../src/local/sample-probe.ts';

/** The local sample probe answers from the images a workload's Ready pods run. */
const NOW = Date.parse('2026-12-06T10:00:00Z');

function pod(name: string, tag: string, o: { ready?: boolean; readyAgoS?: number } = {}): PodRun {
  return {
    name,
    ready: o.ready ?? true,
    readySince: new Date(NOW - (o.readyAgoS ?? 60) * 1000),
    startedAt: undefined,
    containers: [
      { name: 'web', image: `registry.example.com/web:${tag}`, imageID: undefined, digest: undefined, ready: true },
      { name: 'proxy', image: 'registry.example.com/proxy:probe500', imageID: undefined, digest: undefined, ready: true },
    ],
  };
}

const WEB = new Set(['web']);

describe('sampleAnswer', () => {
  it.each([
    ['an ordinary tag', [pod('a', 'v2'), pod('b', 'v2')], 200, 'ok'],
    ['probe500', [pod('a', 'v2-probe500')], 500, 'internal error'],
    ['probe-error', [pod('a', 'probe-error')], 200, 'ERROR'],
    ['probe-slow-20, ready 5 s ago', [pod('a', 'probe-slow-20', { readyAgoS: 5 })], 503, 'starting'],
    ['probe-slow-20, ready 25 s ago', [pod('a', 'probe-slow-20', { readyAgoS: 25 })], 200, 'ok'],
    ['the worst Ready pod answers', [pod('a', 'v2'), pod('b', 'probe500'), pod('c', 'probe-error')], 500, 'pod b'],
    ['pods that are not Ready get no traffic', [pod('a', 'v2'), pod('b', 'probe500', { ready: false })], 200, 'ok'],
    ['no Ready pod', [pod('a', 'v2', { ready: false })], 503, 'no Ready pod'],
    ['a sidecar outside the app does not count', [pod('a', 'v2')], 200, 'registry.example.com/web:v2'],
  ])('%s → %i', (_name, pods, status, body) => {
    const a = sampleAnswer(pods, WEB, NOW);
    expect(a.status).toBe(status);
    expect(a.body).toContain(body);
  });
});
