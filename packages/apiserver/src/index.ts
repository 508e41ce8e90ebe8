// Public API of @lbipam/apiserver.
export type { ApiServerUser, PolicyRule } from "./access.js";
export { ADMIN_USERNAME, PRIVILEGED_GROUP } from "./access.js";
export type { CounterRow, RequestKey } from "./counters.js";
export { RequestCounters } from "./counters.js";
export * from "./errors.js";
export type { FailureRule, FaultCode, FaultState } from "./faults.js";
export { Faults } from "./faults.js";
export { type ApiServer, type ApiServerOptions, startApiServer } from "./server.js";
export type { FieldCause, KubeObject, ObjectMeta } from "./types.js";
