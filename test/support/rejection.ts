import { expect } from 'vitest';
import { FaultlineError } from '../../src/base/errors.ts';

/** The FaultlineError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export const rejection = async (p: Promise<unknown>): Promise<FaultlineError> => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(FaultlineError);
    return e as FaultlineError;
  }
  throw new Error('expected a FaultlineError');
};
