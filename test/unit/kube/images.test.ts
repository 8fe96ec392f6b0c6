import { describe, expect, it } from 'vitest';
import { canonicalRepository, sameRepository, selectContainers, tagOf } from '../../../src/kube/images.ts';

describe('canonicalRepository', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx'],
    ['nginx:1.27', 'docker.io/library/nginx'],
    ['docker.io/nginx:1.27', 'docker.io/library/nginx'],
    ['index.docker.io/library/nginx', 'docker.io/library/nginx'],
    ['team/web:v1', 'docker.io/team/web'],
    ['registry.example.com/team/web:v1.2.3', 'registry.example.com/team/web'],
    ['registry.example.com:5000/team/web@sha256:' + 'a'.repeat(64), 'registry.example.com:5000/team/web'],
    ['localhost:5000/web:dev', 'localhost:5000/web'],
    ['registry.example.com/web:v1@sha256:' + 'b'.repeat(64), 'registry.example.com/web'],
  ])('%s → %s', (image, repo) => {
    expect(canonicalRepository(image)).toBe(repo);
  });

  it.each(['', 'UPPER/case', 'web:', 'web@sha256:short'])('%j does not parse', (image) => {
    expect(canonicalRepository(image)).toBeUndefined();
  });
});

describe('sameRepository', () => {
  it.each([
    ['nginx:1.26', 'docker.io/library/nginx:1.27', true],
    ['registry.example.com/team/web:v1', 'registry.example.com/team/web@sha256:' + 'c'.repeat(64), true],
    ['registry.example.com/team/web:v1', 'registry.example.com/team/web-canary:v1', false],
    ['registry.example.com/team/web:v1', 'other.example.com/team/web:v1', false],
    ['registry.example.com:5000/web:v1', 'registry.example.com/web:v1', false],
    ['bad image', 'bad image', false],
  ])('%s ~ %s: %s', (a, b, same) => {
    expect(sameRepository(a, b)).toBe(same);
  });
});

describe('tagOf', () => {
  it.each([
    ['web:v1', 'v1'],
    ['registry.example.com:5000/web:v2@sha256:' + 'd'.repeat(64), 'v2'],
    ['registry.example.com:5000/web', undefined],
  ])('%s → %s', (image, tag) => {
    expect(tagOf(image)).toBe(tag);
  });
});

describe('selectContainers', () => {
  const pod = [
    { name: 'web', image: 'registry.example.com/team/web:v1' },
    { name: 'proxy', image: 'registry.example.com/team/proxy:1.0' },
    { name: 'web-debug', image: 'registry.example.com/team/web:v1-debug' },
  ];

  it.each([
    ['by repository: every container of that repository', 'registry.example.com/team/web:v2', undefined, ['web', 'web-debug']],
    ['by repository with a digest', 'registry.example.com/team/proxy@sha256:' + 'e'.repeat(64), undefined, ['proxy']],
    ['by name, whatever its repository', 'other.example.com/x:1', 'proxy', ['proxy']],
  ])('%s', (_what, image, container, names) => {
    const s = selectContainers(pod, image, container);
    expect(s.ok && s.containers.map((c) => c.name)).toEqual(names);
  });

  it.each([
    ['an unknown container name', 'registry.example.com/team/web:v2', 'api', /no container named api \(containers: web, proxy, web-debug\)/],
    ['a repository no container runs', 'registry.example.com/team/api:v2', undefined, /none of its containers runs an image from registry.example.com\/team\/api/],
    ['an invalid image', 'Not An Image', undefined, /not a valid image reference/],
  ])('refuses %s', (_what, image, container, problem) => {
    const s = selectContainers(pod, image, container);
    expect(s.ok).toBe(false);
    if (!s.ok) expect(s.problem).toMatch(problem);
  });
});
