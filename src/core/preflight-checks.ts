/**
 * The names of the preflight checks (preflight.ts), on their own so that the config schema
 * (an environment's `preflightSkip`) can list them without importing the checks themselves:
 * the schema depends only on leaves like this one.
 */
export const PREFLIGHT_CHECKS = ['readiness', 'prestop', 'rollout', 'pdb', 'quota', 'hpa', 'mutable-tag'] as const;
export type PreflightCheck = (typeof PREFLIGHT_CHECKS)[number];
