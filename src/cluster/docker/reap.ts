/**
 * Removes one run's containers and network, detached from a controller
 * that is exiting without having gone down (docker backend's exit
 * handler): `node --import tsx reap.ts <runId>`. Waits for the controller
 * to be gone first, so it never races a live run.
 */
import { sleep } from '../../base/time.ts';
import { validateRunId } from '../markers.ts';
import { findDockerLeftovers, removeDockerLeftovers } from './leftovers.ts';

const runId = process.argv[2];
if (runId) {
  validateRunId(runId);
  // Up to a minute: the controller that spawned us is still exiting.
  for (let i = 0; i < 300; i++) {
    const found = await findDockerLeftovers(runId);
    if (found.length === 0) break;
    const orphans = found.filter((l) => !l.controllerAlive);
    if (orphans.length === found.length) {
      await removeDockerLeftovers(orphans);
      break;
    }
    await sleep(200);
  }
}
