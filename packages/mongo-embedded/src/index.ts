export { start } from './server';
export type { EmbeddedMongo, StartOptions } from './server';
export type { Logger } from './logger';
