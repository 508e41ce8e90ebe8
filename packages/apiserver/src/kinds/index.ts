export * from "./allocators.js";
export * from "./event.js";
export * from "./ip.js";
export * from "./lease.js";
export * from "./namespace.js";
export * from "./service.js";
export { setServiceDefaults } from "./service-defaults.js";
export type {
  LoadBalancerIngress,
  Service,
  ServicePort,
  ServiceSpec,
  ServiceStatus,
} from "./service-shape.js";
export { validateServiceStatusUpdate } from "./service-status-validation.js";
export { validateService, validateServiceUpdate } from "./service-validation.js";
