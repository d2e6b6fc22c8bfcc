import { describe, expect, test } from 'vitest';
import type { Notice } from '../../../src/systems/postgres/connection.ts';
import { completionOf, isDefiniteError, syncWaitCancelled } from '../../../src/systems/postgres/outcome.ts';

/** The WARNING PostgreSQL 15 sends when a commit's wait for a synchronous standby is cancelled. */
const cancelledWait: Notice = {
  severity: 'WARNING',
  code: '01000',
  message: 'canceling wait for synchronous replication due to user request',
  detail: 'The transaction has already committed locally, but might not have been replicated to the standby.',
};
const terminatedWait: Notice = {
  severity: 'WARNING',
  code: '57P01',
  message: 'canceling the wait for synchronous replication and terminating connection due to administrator command',
  detail: 'The transaction has already committed locally, but might not have been replicated to the standby.',
};
const harmless: Notice = {
  severity: 'NOTICE',
  code: '00000',
  message: 'relation "x" already exists, skipping',
  detail: undefined,
};

describe('postgres outcomes', () => {
  test('a statement that returned is ok, unless a WARNING says its commit was not confirmed by a standby', () => {
    expect(completionOf({ kind: 'done', notices: [] }, false)).toEqual({ type: 'ok' });
    expect(completionOf({ kind: 'done', notices: [harmless] }, false)).toEqual({ type: 'ok' });
    const c = completionOf({ kind: 'done', notices: [cancelledWait] }, false);
    expect(c.type).toBe('info');
    expect(c.error).toContain('committed locally, but might not have been replicated');
  });

  test('the cancelled-wait warning is recognised by message or detail, for user cancels and terminations', () => {
    expect(syncWaitCancelled([harmless, cancelledWait])).toBe(cancelledWait);
    expect(syncWaitCancelled([terminatedWait])).toBe(terminatedWait);
    expect(syncWaitCancelled([harmless])).toBeUndefined();
  });

  test('never sent: fail; lost after sending: info for writes, fail for reads', () => {
    expect(completionOf({ kind: 'not-sent', reason: 'connect ECONNREFUSED' }, false)).toEqual({
      type: 'fail',
      error: 'connect ECONNREFUSED',
    });
    expect(completionOf({ kind: 'lost', reason: 'timeout', notices: [] }, false)).toEqual({
      type: 'info',
      error: 'timeout',
    });
    expect(completionOf({ kind: 'lost', reason: 'timeout', notices: [] }, true)).toEqual({
      type: 'fail',
      error: 'timeout',
    });
    const dropped = completionOf(
      { kind: 'lost', reason: 'Connection terminated unexpectedly', notices: [terminatedWait] },
      false,
    );
    expect(dropped.type).toBe('info');
    expect(dropped.error).toContain('terminating connection');
  });

  test('server errors that roll an autocommit statement back are definite; shutdowns and crashes are not', () => {
    for (const code of ['23505', '25006', '40001', '40P01', '42P01', '57014', '22003', '53300'])
      expect(isDefiniteError(code, 'ERROR'), code).toBe(true);
    for (const code of ['57P01', '57P02', '57P03', '08006', '58030', 'XX000', undefined])
      expect(isDefiniteError(code, 'ERROR'), String(code)).toBe(false);
    expect(isDefiniteError('25006', 'FATAL')).toBe(false);
    expect(
      completionOf({ kind: 'error', code: '25006', severity: 'ERROR', message: 'read-only', notices: [] }, false),
    ).toEqual({
      type: 'fail',
      error: '25006: read-only',
    });
    expect(
      completionOf(
        { kind: 'error', code: '57P01', severity: 'FATAL', message: 'terminating connection', notices: [] },
        false,
      ).type,
    ).toBe('info');
    // A read has no effect: whatever went wrong, it is fail.
    expect(
      completionOf(
        { kind: 'error', code: '57P01', severity: 'FATAL', message: 'terminating connection', notices: [] },
        true,
      ).type,
    ).toBe('fail');
  });
});
