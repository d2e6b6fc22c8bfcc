import type { ResolvedCheckOptions, SettledPartition } from './check.ts';
import type { Partition, ResolvedModel } from './model.ts';

export const shouldUseWorkers = (
  _model: ResolvedModel<unknown, unknown, unknown>,
  _options: ResolvedCheckOptions,
  _remaining: number,
): boolean => false;

export const checkInWorkers = async <I, O>(
  _model: ResolvedModel<unknown, I, O>,
  _partitions: { index: number; partition: Partition<I, O> }[],
  _options: ResolvedCheckOptions,
  _deadline: number,
): Promise<{ partitions: SettledPartition<I, O>[]; stopped: 'timeout' | 'aborted' | undefined }> => ({
  partitions: [],
  stopped: undefined,
});
