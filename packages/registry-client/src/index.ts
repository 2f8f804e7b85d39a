export * from './discovery';
export * from './registration';
export * from './run-registered-service';
