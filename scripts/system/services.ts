/** The services in the order they start: the registry first, the gateway last. */
export const SERVICES = [
  { name: 'service-registry', port: 8500 },
  { name: 'user-service', port: 3001 },
  { name: 'product-service', port: 3003 },
  { name: 'inventory-service', port: 3004 },
  { name: 'order-service', port: 3002 },
  { name: 'api-gateway', port: 3000 },
] as const;

export type ServiceName = (typeof SERVICES)[number]['name'];

/** Start in waves: the registry, then the four domain services side by side, then the gateway. */
export const START_WAVES: ServiceName[][] = [
  ['service-registry'],
  ['user-service', 'product-service', 'inventory-service', 'order-service'],
  ['api-gateway'],
];
