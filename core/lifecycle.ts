// Long-lived parts (sources, listeners, servers, child processes) start in order and stop in reverse.
// Every stop step runs even when an earlier one throws: one part that cannot close must not leave the
// others listening or running. Failures are logged with the step's name and handed back, not thrown,
// because a shutdown has nobody left to catch them.

/** The one logger call the lifecycle makes (a pino logger fits). */
export interface LifecycleLogger {
  warn(fields: object, message: string): void;
}

export interface StopFailure {
  readonly step: string;
  readonly error: unknown;
}

export class Lifecycle {
  readonly #logger: LifecycleLogger;
  readonly #steps: { readonly name: string; readonly stop: () => unknown }[] = [];

  constructor(logger: LifecycleLogger) {
    this.#logger = logger;
  }

  /**
   * Registers how to stop a part. Register before awaiting the part's start, so that a part which
   * fails half-way through starting is still closed.
   */
  onStop(name: string, stop: () => unknown): void {
    this.#steps.push({ name, stop });
  }

  /**
   * Stops every registered part, the last registered first, each exactly once: steps are taken off the
   * list one at a time, so a second stop() while one is running shares the remaining steps, and a step
   * registered during a stop is stopped too.
   */
  async stop(): Promise<StopFailure[]> {
    const failures: StopFailure[] = [];
    for (let step = this.#steps.pop(); step; step = this.#steps.pop()) {
      try {
        await step.stop();
      } catch (error) {
        failures.push({ step: step.name, error });
        this.#logger.warn({ err: error, step: step.name }, 'error while shutting down');
      }
    }
    return failures;
  }
}
