// Kept apart from the SDK so that runService can flush spans on shutdown without loading the SDK
// in a process that never started it.
let flushAndStop: (() => Promise<void>) | undefined;

export function onTelemetryStop(stop: () => Promise<void>): void {
  flushAndStop = stop;
}

/** Sends the spans still buffered and stops the SDK; a no-op when tracing is off. */
export async function stopTelemetry(): Promise<void> {
  const stop = flushAndStop;
  flushAndStop = undefined;
  await stop?.();
}
