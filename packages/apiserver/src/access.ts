// Who a bearer token is and what that user may do: what TokenReview and SubjectAccessReview
// answer. A small honest stand-in for kube-apiserver's token authenticators and RBAC:
// - the server's own token is `kubernetes-admin` in `system:masters` (the user of kubeadm's
//   admin.conf), and that group is allowed everything, as kube-apiserver's privileged group is;
// - each configured user has a token, a name, groups, and RBAC PolicyRules granted cluster-wide
//   (a ClusterRole bound to that user alone);
// - any other token is not authenticated, and any other user is allowed nothing.
// Audiences are not checked: every token is valid for any audience. The configured users exist
// for the reviews only: a request to the API itself still needs the server's own token.
import { InvalidOptionError } from "./errors.js";

/** An rbac.authorization.k8s.io/v1 PolicyRule. */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** A user TokenReview authenticates and SubjectAccessReview authorizes. */
export interface ApiServerUser {
  token: string;
  username: string;
  uid?: string;
  groups?: string[];
  /** What the user may do, cluster-wide; none: nothing. */
  rules?: PolicyRule[];
}

/** A TokenReview's `status.user`. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
}

/** What a SubjectAccessReview asks about: its resourceAttributes or its nonResourceAttributes. */
export type AccessAttributes =
  | { kind: "nonResource"; verb: string; path: string }
  | { kind: "resource"; verb: string; group: string; resource: string; subresource: string; name: string };

export interface AccessDecision {
  allowed: boolean;
  reason: string;
}

export const ADMIN_USERNAME = "kubernetes-admin";
/** kube-apiserver allows this group everything, before RBAC is asked. */
export const PRIVILEGED_GROUP = "system:masters";
/** kube-apiserver adds it to every authenticated user's groups. */
const AUTHENTICATED_GROUP = "system:authenticated";

/** A bearer token this server accepts: printable ASCII without spaces. */
export function isValidToken(token: string): boolean {
  return /^[\x21-\x7e]+$/.test(token);
}

const ALL = "*";

// The matching of plugin/pkg/auth/authorizer/rbac/rbac.go RuleAllows and
// pkg/apis/rbac/v1/evaluation_helpers.go (kubernetes/kubernetes).
function ruleAllows(rule: PolicyRule, attributes: AccessAttributes): boolean {
  if (!rule.verbs.includes(ALL) && !rule.verbs.includes(attributes.verb)) return false;
  if (attributes.kind === "nonResource") {
    return (rule.nonResourceURLs ?? []).some(
      (url) =>
        url === ALL ||
        url === attributes.path ||
        (url.endsWith("*") && attributes.path.startsWith(url.replace(/\*+$/, ""))),
    );
  }
  const groups = rule.apiGroups ?? [];
  if (!groups.includes(ALL) && !groups.includes(attributes.group)) return false;
  const combined = attributes.subresource
    ? `${attributes.resource}/${attributes.subresource}`
    : attributes.resource;
  const resourceMatches = (rule.resources ?? []).some(
    (resource) =>
      resource === ALL ||
      resource === combined ||
      (attributes.subresource !== "" && resource === `*/${attributes.subresource}`),
  );
  const names = rule.resourceNames ?? [];
  return resourceMatches && (names.length === 0 || names.includes(attributes.name));
}

function describe(attributes: AccessAttributes): string {
  if (attributes.kind === "nonResource") return `${attributes.verb} ${attributes.path}`;
  const resource = attributes.subresource
    ? `${attributes.resource}/${attributes.subresource}`
    : attributes.resource;
  return `${attributes.verb} ${resource}${attributes.group ? `.${attributes.group}` : ""}${attributes.name ? ` ${attributes.name}` : ""}`;
}

export class AccessPolicy {
  private readonly byToken = new Map<string, UserInfo>();
  private readonly rulesByUsername = new Map<string, PolicyRule[]>();

  constructor(adminToken: string, users: ApiServerUser[]) {
    this.byToken.set(adminToken, {
      username: ADMIN_USERNAME,
      groups: [PRIVILEGED_GROUP, AUTHENTICATED_GROUP],
    });
    users.forEach((user, i) => {
      const option = `users[${i}]`;
      if (!isValidToken(user.token)) {
        throw new InvalidOptionError(`${option}.token`, "must be non-empty printable ASCII without spaces");
      }
      if (this.byToken.has(user.token)) {
        throw new InvalidOptionError(`${option}.token`, "is the token of another user or of the server");
      }
      if (user.username === "") throw new InvalidOptionError(`${option}.username`, "must not be empty");
      if (this.rulesByUsername.has(user.username) || user.username === ADMIN_USERNAME) {
        throw new InvalidOptionError(`${option}.username`, `"${user.username}" is taken`);
      }
      this.byToken.set(user.token, {
        username: user.username,
        ...(user.uid ? { uid: user.uid } : {}),
        groups: [...(user.groups ?? []), AUTHENTICATED_GROUP],
      });
      this.rulesByUsername.set(user.username, user.rules ?? []);
    });
  }

  /** The user a bearer token stands for; undefined when it stands for none. */
  authenticate(token: string): UserInfo | undefined {
    return this.byToken.get(token);
  }

  /** Whether `username` (or one of `groups`) may do what `attributes` say. */
  authorize(username: string, groups: string[], attributes: AccessAttributes): AccessDecision {
    if (groups.includes(PRIVILEGED_GROUP)) {
      return { allowed: true, reason: `allowed: member of ${PRIVILEGED_GROUP}` };
    }
    const rules = this.rulesByUsername.get(username) ?? [];
    const index = rules.findIndex((rule) => ruleAllows(rule, attributes));
    return index >= 0
      ? { allowed: true, reason: `allowed by rule ${index} of user "${username}"` }
      : { allowed: false, reason: `no rule of user "${username}" allows ${describe(attributes)}` };
  }
}
