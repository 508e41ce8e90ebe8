// Validation of writes to a Service's status subresource (ValidateServiceStatusUpdate).
import type { FieldCause } from "../types.js";
import { forbidden, invalid, invalidEach, notSupported, required } from "../validation/field.js";
import { validateCoreObjectMetaUpdate } from "../validation/metadata.js";
import { isDns1123Subdomain } from "../validation/names.js";
import { parseIP } from "./ip.js";
import { validIPCause } from "./service-ip-validation.js";
import type { LoadBalancerIngress, Service } from "./service-shape.js";

const IP_MODES = ["Proxy", "VIP"];

function validateIngress(ingress: LoadBalancerIngress, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  if (ingress.ip) causes.push(...validIPCause(`${path}.ip`, ingress.ip));
  if (ingress.ipMode === undefined) {
    if (ingress.ip) causes.push(required(`${path}.ipMode`, "must be specified when `ip` is set"));
  } else if (!ingress.ip) {
    causes.push(forbidden(`${path}.ipMode`, "may not be specified when `ip` is not set"));
  } else if (!IP_MODES.includes(ingress.ipMode)) {
    causes.push(notSupported(`${path}.ipMode`, ingress.ipMode, IP_MODES));
  }
  if (ingress.hostname) {
    causes.push(...invalidEach(`${path}.hostname`, ingress.hostname, isDns1123Subdomain(ingress.hostname)));
    if (parseIP(ingress.hostname)) {
      causes.push(invalid(`${path}.hostname`, ingress.hostname, "must be a DNS name, not an IP address"));
    }
  }
  return causes;
}

/** Validation of a write to the status subresource. */
export function validateServiceStatusUpdate(next: Service, prev: Service): FieldCause[] {
  const causes = validateCoreObjectMetaUpdate(next.metadata, prev.metadata);
  const ingress = next.status?.loadBalancer?.ingress ?? [];
  if (next.spec?.type !== "LoadBalancer" && ingress.length > 0) {
    causes.push(
      forbidden("status.loadBalancer.ingress", "may only be used when `spec.type` is 'LoadBalancer'"),
    );
  } else {
    ingress.forEach((item, i) => {
      causes.push(...validateIngress(item, `status.loadBalancer.ingress[${i}]`));
    });
  }
  return causes;
}
