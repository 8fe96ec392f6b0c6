/**
 * OCI image references (the grammar of distribution/reference), parsed into parts so that
 * policy can check the registry and the jobs can compare repositories.
 */
export interface ImageRef {
  /** Registry host[:port], or undefined when the reference has none (Docker Hub). */
  readonly registry: string | undefined;
  /** Path inside the registry, e.g. "team/web". */
  readonly path: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
export const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]{32,})$/;
const NAME_MAX = 255;

export type ImageRefProblem = string;

/** Why `digest` is not a valid digest, or undefined when it is. */
export function digestProblem(digest: string): ImageRefProblem | undefined {
  const m = DIGEST.exec(digest);
  if (m === null) return `"${digest}" is not a digest (expected sha256:<64 hex digits>)`;
  if (m[1] === 'sha256' && !/^[a-f0-9]{64}$/.test(m[2] ?? '')) return 'a sha256 digest has exactly 64 lowercase hex digits';
  if (m[1] === 'sha512' && !/^[a-f0-9]{128}$/.test(m[2] ?? '')) return 'a sha512 digest has exactly 128 lowercase hex digits';
  return undefined;
}

function isDomain(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost';
}

function domainProblem(domain: string): ImageRefProblem | undefined {
  const [host, port, ...rest] = domain.split(':');
  if (rest.length > 0 || host === undefined) return `"${domain}" is not a registry host`;
  if (port !== undefined && !/^[0-9]{1,5}$/.test(port)) return `"${port}" is not a port number`;
  if (!host.split('.').every((c) => DOMAIN_COMPONENT.test(c))) return `"${host}" is not a registry host name`;
  return undefined;
}

export function parseImageRef(text: string): { ok: true; value: ImageRef } | { ok: false; problem: ImageRefProblem } {
  if (text.length === 0) return { ok: false, problem: 'the image reference is empty' };
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const p = digestProblem(digest);
    if (p !== undefined) return { ok: false, problem: p };
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) return { ok: false, problem: `"${tag}" is not a valid tag (letters, digits, _ . -, at most 128, not starting with . or -)` };
  }
  if (rest.length === 0) return { ok: false, problem: 'the image reference has no repository name' };
  if (rest.length > NAME_MAX) return { ok: false, problem: `the repository name is longer than ${NAME_MAX} characters` };
  const parts = rest.split('/');
  let registry: string | undefined;
  if (parts.length > 1 && isDomain(parts[0] ?? '')) {
    registry = parts.shift();
    const p = domainProblem(registry ?? '');
    if (p !== undefined) return { ok: false, problem: p };
  }
  for (const c of parts) {
    if (!PATH_COMPONENT.test(c)) {
      return { ok: false, problem: `"${c}" is not a valid repository path component (lowercase letters, digits, separators . _ __ -)` };
    }
  }
  return { ok: true, value: { registry, path: parts.join('/'), tag, digest } };
}

export function repositoryOf(ref: ImageRef): string {
  return ref.registry === undefined ? ref.path : `${ref.registry}/${ref.path}`;
}

export function formatImageRef(ref: ImageRef): string {
  return repositoryOf(ref) + (ref.tag === undefined ? '' : `:${ref.tag}`) + (ref.digest === undefined ? '' : `@${ref.digest}`);
}
