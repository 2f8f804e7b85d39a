export class BrokerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerUnavailableError';
  }
}

/** A consumed event that no queue took: kept by its sender and published again later. */
export class UnroutableEventError extends Error {
  constructor(eventType: string) {
    super(`No queue takes ${eventType} yet (its consumer has not declared its queue)`);
    this.name = 'UnroutableEventError';
  }
}
