import { fileURLToPath } from 'node:url';

/** The config shipped with the project: local mode, sample people, apps and the local clusters. */
export function defaultConfigPath(): string {
  return fileURLToPath(new URL('../../deploy/config.example.yaml', import.meta.url));
}

/** The project's own folder, for data and the local cluster's state. */
export function projectRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url));
}
