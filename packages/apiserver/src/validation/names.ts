// Name formats of apimachinery's util/validation, each returning kube's messages (empty when valid).

const DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?";
const QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;

const DNS1123_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const QUALIFIED_NAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

const DNS1123_LABEL_MAX_LENGTH = 63;
const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
const DNS1035_LABEL_MAX_LENGTH = 63;
const QUALIFIED_NAME_MAX_LENGTH = 63;
const LABEL_VALUE_MAX_LENGTH = 63;

function anchored(fmt: string): RegExp {
  return new RegExp(`^${fmt}$`);
}
const dns1123Label = anchored(DNS1123_LABEL_FMT);
const dns1123Subdomain = anchored(DNS1123_SUBDOMAIN_FMT);
const dns1035Label = anchored(DNS1035_LABEL_FMT);
const qualifiedName = anchored(QUALIFIED_NAME_FMT);
const labelValue = anchored(LABEL_VALUE_FMT);

function regexError(message: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${message} (regex used for validation is '${fmt}')`;
  // Go appends "', " after each example and " or " between them, hence the double space.
  const shown = examples.map((e) => `'${e}', `).join(" or ");
  return `${message} (e.g. ${shown}regex used for validation is '${fmt}')`;
}

export function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

const EMPTY_ERROR = "must be non-empty";

/** Go's len() counts bytes, not UTF-16 units. */
function byteLength(value: string): number {
  return Buffer.byteLength(value, "utf8");
}

function check(value: string, max: number, re: RegExp, regexMessage: () => string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > max) errs.push(maxLenError(max));
  if (!re.test(value)) errs.push(regexMessage());
  return errs;
}

export function isDns1123Label(value: string): string[] {
  return check(value, DNS1123_LABEL_MAX_LENGTH, dns1123Label, () =>
    regexError(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, "my-name", "123-abc"),
  );
}

export function isDns1123Subdomain(value: string): string[] {
  return check(value, DNS1123_SUBDOMAIN_MAX_LENGTH, dns1123Subdomain, () =>
    regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, "example.com"),
  );
}

export function isDns1035Label(value: string): string[] {
  return check(value, DNS1035_LABEL_MAX_LENGTH, dns1035Label, () =>
    regexError(DNS1035_LABEL_MSG, DNS1035_LABEL_FMT, "my-name", "abc-123"),
  );
}

/** A label key / annotation key / finalizer: `[prefix/]name`. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split("/");
  const nameRegexError = () =>
    regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc");
  if (parts.length > 2) {
    return [
      `a qualified name ${nameRegexError()} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix.length === 0) errs.push(`prefix part ${EMPTY_ERROR}`);
    else errs.push(...isDns1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  }
  if (name.length === 0) errs.push(`name part ${EMPTY_ERROR}`);
  else if (byteLength(name) > QUALIFIED_NAME_MAX_LENGTH)
    errs.push(`name part ${maxLenError(QUALIFIED_NAME_MAX_LENGTH)}`);
  if (!qualifiedName.test(name)) errs.push(`name part ${nameRegexError()}`);
  return errs;
}

export function isValidLabelValue(value: string): string[] {
  return check(value, LABEL_VALUE_MAX_LENGTH, labelValue, () =>
    regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"),
  );
}

/**
 * Validates an object name (`prefix` false) or a generateName (`prefix` true).
 * Returns kube's messages; empty when valid.
 */
export type NameValidator = (name: string, prefix: boolean) => string[];

/** A generateName may end in '-': kube masks the tail before validating. */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith("-") ? `${name.slice(0, -2)}a` : name;
}

function nameValidator(check: (value: string) => string[]): NameValidator {
  return (name, prefix) => check(prefix ? maskTrailingDash(name) : name);
}

export const nameIsDnsSubdomain: NameValidator = nameValidator(isDns1123Subdomain);
export const nameIsDnsLabel: NameValidator = nameValidator(isDns1123Label);
export const nameIsDns1035Label: NameValidator = nameValidator(isDns1035Label);

// names.SimpleNameGenerator: 5 characters from an alphabet without vowels, base cut to 58.
const GENERATED_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
const GENERATED_SUFFIX_LENGTH = 5;
const MAX_GENERATED_BASE_LENGTH = 63 - GENERATED_SUFFIX_LENGTH;

/** The name kube-apiserver generates from `generateName`; `random` returns numbers in [0, 1). */
export function generateName(base: string, random: () => number = Math.random): string {
  let suffix = "";
  for (let i = 0; i < GENERATED_SUFFIX_LENGTH; i++) {
    suffix += GENERATED_SUFFIX_ALPHABET[Math.floor(random() * GENERATED_SUFFIX_ALPHABET.length)];
  }
  return base.slice(0, MAX_GENERATED_BASE_LENGTH) + suffix;
}

/** Any name that can be a URL path segment: what kube-apiserver checks for every kind after the kind's own rules. */
export const nameIsPathSegment: NameValidator = (name, prefix) => {
  if (!prefix && (name === "." || name === "..")) return [`may not be '${name}'`];
  return ["/", "%"].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
};
