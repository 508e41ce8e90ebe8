// The checks of a Service's clusterIP, clusterIPs, ipFamilies and ipFamilyPolicy, on create and update.
import type { FieldCause } from "../types.js";
import { duplicate, invalid, notSupported, required } from "../validation/field.js";
import { parseIP } from "./ip.js";
import { isHeadlessService, type ServiceSpec } from "./service-shape.js";

const IP_FAMILIES = ["IPv4", "IPv6"];
const IP_FAMILY_POLICIES = ["PreferDualStack", "RequireDualStack", "SingleStack"];
const INVALID_IP = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

export function validIPCause(field: string, ip: string): FieldCause[] {
  return parseIP(ip) ? [] : [invalid(field, ip, INVALID_IP)];
}

/** The checks linking clusterIP, clusterIPs, ipFamilies and ipFamilyPolicy. */
export function validateClusterIPFields(spec: ServiceSpec): FieldCause[] {
  if (spec.type === "ExternalName") return [];
  const causes: FieldCause[] = [];
  const ips = spec.clusterIPs ?? [];
  const families = spec.ipFamilies ?? [];
  if (spec.clusterIP) {
    if (ips.length === 0) causes.push(required("spec.clusterIPs"));
    else if (ips[0] !== spec.clusterIP)
      causes.push(invalid("spec.clusterIPs", ips, "first value must match `clusterIP`"));
  } else if (ips.length > 0) {
    causes.push(invalid("spec.clusterIPs", ips, "must be empty when `clusterIP` is not specified"));
  }
  const seen = new Set<string>();
  families.forEach((family, i) => {
    if (!IP_FAMILIES.includes(family))
      causes.push(notSupported(`spec.ipFamilies[${i}]`, family, IP_FAMILIES));
    if (seen.has(family)) causes.push(duplicate(`spec.ipFamilies[${i}]`, family));
    seen.add(family);
  });
  if (spec.ipFamilyPolicy !== undefined && !IP_FAMILY_POLICIES.includes(spec.ipFamilyPolicy)) {
    causes.push(notSupported("spec.ipFamilyPolicy", spec.ipFamilyPolicy, IP_FAMILY_POLICIES));
  }
  let invalidIPs = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === "None") {
      if (ips.length > 1) {
        invalidIPs = true;
        causes.push(invalid("spec.clusterIPs", ips, "'None' must be the first and only value"));
      }
      return;
    }
    const errs = validIPCause(`spec.clusterIPs[${i}]`, ip);
    if (errs.length > 0) invalidIPs = true;
    causes.push(...errs);
  });
  if (ips.length > 2) causes.push(invalid("spec.clusterIPs", ips, "may only hold up to 2 values"));
  if (invalidIPs) return causes;
  const ipFamilies = new Set(ips.map((ip) => parseIP(ip)?.family));
  if (ips.length > 1 && ipFamilies.size < 2) {
    causes.push(invalid("spec.clusterIPs", ips, "may specify no more than one IP for each IP family"));
  }
  if (!isHeadlessService(spec)) {
    ips.forEach((ip, i) => {
      const family = families[i];
      const actual = parseIP(ip)?.family;
      if (family === "IPv4" && actual === "IPv6") {
        causes.push(
          invalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``),
        );
      }
      if (family === "IPv6" && actual !== "IPv6") {
        causes.push(
          invalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``),
        );
      }
    });
  }
  return causes;
}

/** Which clusterIPs and ipFamilies changes an update may make: adding or dropping the secondary only. */
export function validateUpgradeDowngrade(next: ServiceSpec, prev: ServiceSpec): FieldCause[] {
  if (next.type === "ExternalName" || prev.type === "ExternalName") return [];
  const causes: FieldCause[] = [];
  const newIPs = next.clusterIPs ?? [];
  const oldIPs = prev.clusterIPs ?? [];
  const singleStack = next.ipFamilyPolicy === "SingleStack";
  if (!(isHeadlessService(prev) && isHeadlessService(next))) {
    if (oldIPs.length === newIPs.length) {
      oldIPs.forEach((ip, i) => {
        if (ip !== newIPs[i])
          causes.push(invalid(`spec.clusterIPs[${i}]`, newIPs, "may not change once set"));
      });
    } else if (oldIPs.length > newIPs.length) {
      if (newIPs.length === 0)
        causes.push(invalid("spec.clusterIPs[0]", newIPs, "primary clusterIP can not be unset"));
      if (newIPs.length > 0 && newIPs[0] !== oldIPs[0]) {
        causes.push(invalid("spec.clusterIPs[0]", newIPs, "may not change once set"));
      }
      if (newIPs.length === 1 && !singleStack) {
        causes.push(
          invalid(
            "spec.ipFamilyPolicy",
            next.ipFamilyPolicy ?? null,
            "must be set to 'SingleStack' when releasing the secondary clusterIP",
          ),
        );
      }
    } else if (oldIPs.length > 0 && newIPs[0] !== oldIPs[0]) {
      causes.push(invalid("spec.clusterIPs[0]", newIPs, "may not change once set"));
    }
  }
  if (isHeadlessService(prev) !== isHeadlessService(next) || isHeadlessService(next)) return causes;
  const newFamilies = next.ipFamilies ?? [];
  const oldFamilies = prev.ipFamilies ?? [];
  if (oldFamilies.length === newFamilies.length) {
    oldFamilies.forEach((family, i) => {
      if (family !== newFamilies[i])
        causes.push(invalid("spec.ipFamilies[0]", newFamilies, "may not change once set"));
    });
  } else if (oldFamilies.length > newFamilies.length) {
    if (newIPs.length === 0)
      causes.push(invalid("spec.ipFamilies[0]", newFamilies, "primary ipFamily can not be unset"));
    if (newFamilies.length > 0 && newFamilies[0] !== oldFamilies[0]) {
      causes.push(invalid("spec.ipFamilies[0]", newIPs, "may not change once set"));
    }
    if (newFamilies.length === 1 && !singleStack) {
      causes.push(
        invalid(
          "spec.ipFamilyPolicy",
          next.ipFamilyPolicy ?? null,
          "must be set to 'SingleStack' when releasing the secondary ipFamily",
        ),
      );
    }
  } else if (oldFamilies.length > 0 && newFamilies.length > 0 && newFamilies[0] !== oldFamilies[0]) {
    causes.push(invalid("spec.ipFamilies[0]", newIPs, "may not change once set"));
  }
  return causes;
}
