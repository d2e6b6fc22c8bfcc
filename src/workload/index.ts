import { bankWorkload } from './bank.ts';
import { counterWorkload } from './counter.ts';
import { registerWorkload } from './register.ts';
import { sessionWorkload } from './session.ts';
import { setWorkload } from './set.ts';
import type { WorkloadPreset } from './spec.ts';
import type { Workload } from './workload.ts';

/**
 * Workload modules by the name a preset's `client:` uses. Adding a
 * workload: one module beside these, one line here, one preset in
 * workloads/ — nothing in the orchestrator.
 */
const WORKLOADS: Readonly<Record<string, Workload>> = {
  register: registerWorkload,
  set: setWorkload,
  counter: counterWorkload,
  session: sessionWorkload,
  bank: bankWorkload,
};

export const workloadNames = (): string[] => Object.keys(WORKLOADS);

export const findWorkload = (name: string): Workload | undefined =>
  Object.hasOwn(WORKLOADS, name) ? WORKLOADS[name] : undefined;

/** The module of a (validated) preset. */
export const getWorkload = (name: string): Workload => {
  const w = findWorkload(name);
  if (!w) throw new Error(`unknown workload ${name}`); // resolve.ts already rejected unknown names
  return w;
};

/** The client a system is asked for, for a preset. */
export const systemClientOf = (preset: Pick<WorkloadPreset, 'client'>): string => {
  const w = getWorkload(preset.client);
  return w.client ?? w.name;
};

/** The options a system's client gets: the module's own, then the preset's (which win). */
export const clientOptionsOf = (preset: WorkloadPreset): Record<string, unknown> => ({
  ...getWorkload(preset.client).clientOptions?.(preset),
  ...preset.options,
});

export type { FinalPhaseContext, Workload } from './workload.ts';
