// `gatehouse run [--config FILE] [--pretty]`: start everything, stop cleanly on SIGTERM, SIGINT or
// SIGHUP (also when one arrives during start-up).
import { loadConfig } from '../config/index.js';
import { LogRing } from '../gateway/index.js';
import { parseCommandArgs } from './arguments.js';
import { installCrashPolicy } from './crash-policy.js';
import { compactHeapAfterWork, keepYoungGenerationSmall } from './heap-limits.js';
import { EXIT_OK } from './exit-codes.js';
import { startGatehouse } from './gatehouse.js';
import { createLogger, wantsPretty } from './logger.js';
import { untilStopSignal } from './stop-signal.js';

export async function runCommand(args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('run', args, {
    config: { type: 'string', short: 'c', default: 'config/gatehouse.yaml' },
    pretty: { type: 'boolean' },
  });
  const config = await loadConfig(values.config as string);
  // Not while this process proxies the gateway's requests itself: their short-lived garbage wants room.
  const servesRequests = config.gateway.enabled && config.gateway.workers <= 1;
  if (!servesRequests) keepYoungGenerationSmall();
  const pretty = wantsPretty(values.pretty as boolean | undefined);
  // The newest lines stay in memory for `dcos node log` (the gateway's component log).
  const ring = new LogRing();
  const logger = createLogger({ level: config.log.level, pretty, ring });
  const stopped = untilStopSignal();
  const gatehouse = await startGatehouse(config, logger, { pretty, componentLogs: ring });
  // Each new snapshot (its parse, the records and answers rebuilt) leaves the heap at its high-water
  // mark: given back once quiet. Not while this process proxies requests (a full collection pauses them).
  const compaction = servesRequests ? null : compactHeapAfterWork();
  const stopCompacting = compaction ? gatehouse.store.subscribe(() => compaction.afterWork()) : () => undefined;
  compaction?.afterWork();
  // Once serving, one failing request must not end the process (a failure while starting still does).
  const removeCrashPolicy = installCrashPolicy({ logger, registry: gatehouse.registry });
  const reason = await stopped;
  logger.info({ signal: reason }, 'stopping');
  stopCompacting();
  compaction?.close();
  await gatehouse.close();
  removeCrashPolicy();
  return EXIT_OK;
}
