import type { Processor } from '../context.ts';
import type { JobKind } from '../spec.ts';
import { autoscale } from './autoscale.ts';
import { deploy } from './deploy.ts';
import { restart } from './restart.ts';
import { rollback } from './rollback.ts';
import { scale } from './scale.ts';
import { upgrade } from './upgrade.ts';

/** One processor per job kind; a kind without one is a compile error. */
export const processors = { deploy, scale, rollback, restart, upgrade, autoscale } satisfies { [K in JobKind]: Processor<K> };
