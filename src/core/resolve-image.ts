import type { Config } from '../config/schema.ts';
import { chatError, type ChatError } from './errors.ts';
import { parseImageRef, repositoryOf } from './image-ref.ts';
import { err, ok, type Result } from './result.ts';

/**
 * Which images an environment may run (resolve.ts, and again when a job binds a rollback
 * target): only from the registries the environment lists. Pure.
 */
type R<T> = Result<T, ChatError>;

export function registryAllowed(config: Config, env: string, repository: string): boolean {
  const allowed = config.environments[env]?.registries ?? [];
  return allowed.some((r) => repository === r || repository.startsWith(`${r}/`));
}

/** Whether `image` comes from a registry the environment may pull from (a rollback to one that doesn't is a deploy in disguise). */
export function imageAllowedIn(config: Config, env: string, image: string): boolean {
  const parsed = parseImageRef(image);
  return parsed.ok && registryAllowed(config, env, repositoryOf(parsed.value));
}

export function registryError(config: Config, env: string, repository: string): ChatError {
  return chatError('E_REGISTRY_NOT_ALLOWED', `${env} may not pull from ${repository}.`, {
    expected: `an image from ${(config.environments[env]?.registries ?? []).join(', ')}`,
  });
}

/**
 * The full image a deploy means. A tag or digest belongs to the app's own repository; a full
 * reference must come from a registry allowed in the environment and name the app's
 * repository path (a mirror registry with the same path is fine).
 */
export function deployImage(config: Config, app: string, env: string, ref: string): R<string> {
  const repo = config.apps[app]?.image ?? '';
  let image: string;
  let repository: string;
  if (ref.startsWith('@')) {
    image = `${repo}${ref}`;
    repository = repo;
  } else if (!/[/:@]/.test(ref)) {
    image = `${repo}:${ref}`;
    repository = repo;
  } else {
    const parsed = parseImageRef(ref);
    const own = parseImageRef(repo);
    if (!parsed.ok) return err(chatError('E_INVALID_IMAGE', `"${ref}" is not a valid image reference: ${parsed.problem}.`));
    repository = repositoryOf(parsed.value);
    if (!registryAllowed(config, env, repository)) return err(registryError(config, env, repository));
    if (own.ok && parsed.value.path !== own.value.path) {
      return err(
        chatError('E_IMAGE_REPO_MISMATCH', `${app} runs images from ${repo}, not ${repository}.`, {
          expected: `a tag of ${repo}, or the same repository path on an allowed registry`,
          example: `/deploy ${app} v1.4.2 to ${env}`,
        }),
      );
    }
    image = ref;
  }
  if (!registryAllowed(config, env, repository)) return err(registryError(config, env, repository));
  return ok(image);
}
