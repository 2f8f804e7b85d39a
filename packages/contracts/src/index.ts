export * from './common';
export * from './users';
export * from './password-policy';
export * from './products';
export * from './orders';
export * from './inventory';
export * from './events';
export * from './event-catalog';
