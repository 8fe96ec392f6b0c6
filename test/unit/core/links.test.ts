import { describe, expect, it } from 'vitest';
import { fillTemplate, linksFor } from '../../../src/core/links.ts';

describe('links from templates', () => {
  it.each([
    ['https://tempo.example.com/trace/{traceId}', { traceId: 'abc123' }, 'https://tempo.example.com/trace/abc123'],
    ['https://logs.example.com/?app={app}&env={env}', { app: 'web', env: 'prod' }, 'https://logs.example.com/?app=web&env=prod'],
    ['https://logs.example.com/?q={app}', { app: 'a b&c' }, 'https://logs.example.com/?q=a%20b%26c'],
    ['https://x.example.com/{jobId}/{cluster}', { jobId: 'op-1' }, undefined],
  ])('%s', (template, values, expected) => {
    expect(fillTemplate(template, values)).toBe(expected);
  });

  it('gives the links it can fill, in a fixed order', () => {
    expect(
      linksFor({ logs: 'https://l/{app}', trace: 'https://t/{traceId}', job: 'https://j/{jobId}/{namespace}' }, { app: 'web', traceId: 't1', jobId: 'op-1' }),
    ).toEqual([
      { label: 'Trace', url: 'https://t/t1' },
      { label: 'Logs', url: 'https://l/web' },
    ]);
  });
});
