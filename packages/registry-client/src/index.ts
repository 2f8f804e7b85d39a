export * from './discovery';
export * from './registration';
