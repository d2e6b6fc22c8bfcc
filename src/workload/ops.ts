import type { Random } from '../base/random.ts';
import type { OpSource } from '../generator/source.ts';
import { getWorkload } from './index.ts';
import type { WorkloadPreset } from './spec.ts';

/**
 * Operation sources: what each worker asks next, from the preset's
 * workload module. The seed fixes the mix (which function, which key) for
 * each worker; written values are unique across the run without
 * coordination (worker w of c writes w, w + c, w + 2c, ...), so a value
 * read identifies the write that produced it.
 */
export { registerKeys } from './final.ts';

export const createOpSource = (workload: WorkloadPreset, rng: Random, worker: number, concurrency: number): OpSource =>
  getWorkload(workload.client).opSource(workload, rng, worker, concurrency);
