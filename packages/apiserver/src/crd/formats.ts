// The string formats of kube-openapi's default registry that CRDs commonly use.
// Unknown formats are not checked, as in kube-apiserver.

import { isIPv4, isIPv6 } from "node:net";

const RFC3339_DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const FULL_DATE = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

const checks: Record<string, (text: string) => boolean> = {
  "date-time": (text) => RFC3339_DATE_TIME.test(text) && !Number.isNaN(Date.parse(text.replace(" ", "T"))),
  date: (text) => FULL_DATE.test(text) && !Number.isNaN(Date.parse(text)),
  ipv4: (text) => isIPv4(text),
  ipv6: (text) => isIPv6(text),
  cidr: isCidr,
  uuid: (text) => UUID.test(text),
};

/** False when `format` is known and `text` does not conform; true otherwise. */
export function conformsToFormat(format: string, text: string): boolean {
  const check = checks[format];
  return check === undefined || check(text);
}

function isCidr(text: string): boolean {
  const slash = text.indexOf("/");
  if (slash < 0) return false;
  const address = text.slice(0, slash);
  const prefix = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefix)) return false;
  if (isIPv4(address)) return Number(prefix) <= 32;
  return isIPv6(address) && !address.includes("%") && Number(prefix) <= 128;
}
