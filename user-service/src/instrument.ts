// main.ts imports this first: instrumentation patches express, pg, amqplib... as they are loaded.
import { startTelemetry } from '@shop/service-kit/telemetry';

startTelemetry({ service: 'user-service' });
