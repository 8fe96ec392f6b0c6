import { parseImageRef } from '../core/image-ref.ts';

/**
 * Which containers an image change applies to. Pure. Repositories are compared without tag or
 * digest and in their canonical Docker form, so "nginx", "docker.io/nginx" and
 * "docker.io/library/nginx:1.27" are one repository.
 */
export interface ContainerImage {
  readonly name: string;
  readonly image: string;
}

/** The canonical repository of an image reference, or undefined when it does not parse. */
export function canonicalRepository(image: string): string | undefined {
  const r = parseImageRef(image.trim());
  if (!r.ok) return undefined;
  const registry = r.value.registry === undefined || r.value.registry === 'index.docker.io' ? 'docker.io' : r.value.registry;
  const path = registry === 'docker.io' && !r.value.path.includes('/') ? `library/${r.value.path}` : r.value.path;
  return `${registry}/${path}`;
}

export function sameRepository(a: string, b: string): boolean {
  const ra = canonicalRepository(a);
  return ra !== undefined && ra === canonicalRepository(b);
}

/** The tag of an image reference ("v1.2" of "web:v1.2@sha256:…"), if any. */
export function tagOf(image: string): string | undefined {
  const r = parseImageRef(image.trim());
  return r.ok ? r.value.tag : undefined;
}

export type ContainerSelection =
  | { readonly ok: true; readonly containers: readonly ContainerImage[] }
  | { readonly ok: false; readonly problem: string };

/**
 * The containers to change: the one named `container`, or, when no name is given, every
 * container whose image is in the same repository as `image`.
 */
export function selectContainers(containers: readonly ContainerImage[], image: string, container?: string): ContainerSelection {
  const names = containers.map((c) => c.name).join(', ');
  if (container !== undefined) {
    const found = containers.find((c) => c.name === container);
    if (found === undefined) return { ok: false, problem: `it has no container named ${container} (containers: ${names || 'none'})` };
    return { ok: true, containers: [found] };
  }
  const repo = canonicalRepository(image);
  if (repo === undefined) return { ok: false, problem: `"${image}" is not a valid image reference` };
  const matching = containers.filter((c) => canonicalRepository(c.image) === repo);
  if (matching.length === 0) {
    const running = containers.map((c) => `${c.name}=${c.image}`).join(', ');
    return { ok: false, problem: `none of its containers runs an image from ${repo} (${running || 'no containers'}); name the container to change` };
  }
  return { ok: true, containers: matching };
}
