import { describe, expect, it } from 'vitest';
import { formatImageRef, parseImageRef } from '../../../src/core/image-ref.ts';

const H = 'a'.repeat(64);

describe('parseImageRef', () => {
  it.each([
    ['registry.example.com/web:1.4.2', { registry: 'registry.example.com', path: 'web', tag: '1.4.2', digest: undefined }],
    ['localhost:5000/team/web:v1', { registry: 'localhost:5000', path: 'team/web', tag: 'v1', digest: undefined }],
    ['web:v1', { registry: undefined, path: 'web', tag: 'v1', digest: undefined }],
    ['library/nginx', { registry: undefined, path: 'library/nginx', tag: undefined, digest: undefined }],
    [`ghcr.io/org/app@sha256:${H}`, { registry: 'ghcr.io', path: 'org/app', tag: undefined, digest: `sha256:${H}` }],
    [`ghcr.io/org/app:1.0@sha256:${H}`, { registry: 'ghcr.io', path: 'org/app', tag: '1.0', digest: `sha256:${H}` }],
    ['reg.io/a__b/c-d.e:x', { registry: 'reg.io', path: 'a__b/c-d.e', tag: 'x', digest: undefined }],
  ])('accepts %s', (text, expected) => {
    const r = parseImageRef(text);
    expect(r).toEqual({ ok: true, value: expected });
    if (r.ok) expect(formatImageRef(r.value)).toBe(text);
  });

  it.each([
    ['', 'empty'],
    ['registry.example.com/Web:1', 'repository path'],
    ['registry.example.com/web:-bad', 'not a valid tag'],
    ['registry.example.com/web@sha256:abc', '64'],
    ['registry.example.com/web@md5', 'not a digest'],
    ['registry.example.com//web', 'repository path'],
    ['bad_host.com:x/web', 'port'],
    [`reg.io/${'a'.repeat(260)}`, 'longer than'],
  ])('rejects %j', (text, why) => {
    const r = parseImageRef(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toContain(why);
  });
});
