// Who may read /metrics, asked of the API server as controller-runtime's secure metrics serving
// does (pkg/metrics/filters/filters.go, WithAuthenticationAndAuthorization): a TokenReview
// (authentication.k8s.io/v1) of the request's bearer token, then a SubjectAccessReview
// (authorization.k8s.io/v1) of that user for the request's verb on its path. Answers are kept
// as long as controller-runtime has k8s.io/apiserver keep them (a token's review one minute,
// an allowed request five, a denied one 30 s), in bounded caches, so a scrape storm costs a
// bounded number of reviews; a failed review is not kept.
//
// One difference, on purpose: a token the TokenReview does not authenticate is 401, as
// kube-apiserver's own authentication filter answers (endpoints/filters/authentication.go);
// controller-runtime answers it with 500, because its bearer-token authenticator turns "not
// authenticated" into an error (authentication/request/bearertoken/bearertoken.go).
import { createHash } from "node:crypto";
import { ApiRequestError } from "../errors.js";
import type { RequestObserver } from "./cluster-writer.js";
import { statusMessage } from "./cluster-writer.js";
import { ExpiringCache } from "./expiring-cache.js";
import type { RestReply } from "./rest-client.js";

/** What the reviews need of the API: the controller's RestClient fits. */
export interface ReviewTransport {
  send(method: string, path: string, body: unknown): Promise<RestReply>;
}

/** A TokenReview's status.user, sent again in the SubjectAccessReview. */
export interface ReviewedUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export type MetricsAccessDecision =
  | { code: 200; user: string }
  | { code: 401; reason: string }
  | { code: 403; user: string; reason: string }
  /** A review failed (the API refused it, or did not answer): nothing is known. */
  | { code: 500; error: ApiRequestError };

export interface MetricsAccessOptions {
  /** Most answers kept of each review kind (kube keeps 4096 tokens and 8192 decisions). */
  maxEntries?: number;
  now?: () => number;
  /** Called after every review with its outcome, for lbipam_api_requests_total. */
  observe?: RequestObserver;
}

/** controller-runtime's CacheTTL, AllowCacheTTL and DenyCacheTTL. */
export const REVIEW_TTL_MS = { token: 60_000, allowed: 5 * 60_000, denied: 30_000 } as const;
const DEFAULT_MAX_ENTRIES = 4096;

type Authentication = { authenticated: true; user: ReviewedUser } | { authenticated: false; reason: string };
type Authorization = { allowed: boolean; reason: string };

/** The token of an `Authorization: Bearer <token>` header, as bearertoken.go reads it. */
export function bearerToken(header: string | undefined): string | undefined {
  const [scheme, token] = (header ?? "").trim().split(" ");
  return scheme?.toLowerCase() === "bearer" && token ? token : undefined;
}

function userOf(status: unknown): ReviewedUser | undefined {
  const user = (status as { user?: Partial<ReviewedUser> } | undefined)?.user;
  if (typeof user?.username !== "string" || user.username === "") return undefined;
  return {
    username: user.username,
    ...(typeof user.uid === "string" && user.uid !== "" ? { uid: user.uid } : {}),
    ...(Array.isArray(user.groups) ? { groups: user.groups } : {}),
    ...(user.extra && typeof user.extra === "object" ? { extra: user.extra } : {}),
  };
}

export class MetricsAccess {
  private readonly tokens: ExpiringCache<Authentication>;
  private readonly decisions: ExpiringCache<Authorization>;
  private readonly observe: RequestObserver;

  constructor(
    private readonly transport: ReviewTransport,
    options: MetricsAccessOptions = {},
  ) {
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.tokens = new ExpiringCache(maxEntries, options.now);
    this.decisions = new ExpiringCache(maxEntries, options.now);
    this.observe = options.observe ?? (() => {});
  }

  /** May the request with this Authorization header `verb` `path`? */
  async decide(
    authorization: string | undefined,
    verb: string,
    path: string,
  ): Promise<MetricsAccessDecision> {
    const token = bearerToken(authorization);
    if (token === undefined) return { code: 401, reason: "no bearer token" };
    try {
      // Keyed by a digest: the cache keeps no token.
      const key = createHash("sha256").update(token).digest("base64");
      const authentication = await this.tokens.get(
        key,
        () => this.reviewToken(token),
        () => REVIEW_TTL_MS.token,
      );
      if (!authentication.authenticated) return { code: 401, reason: authentication.reason };
      const { user } = authentication;
      const authorization = await this.decisions.get(
        JSON.stringify([user, verb, path]),
        () => this.reviewAccess(user, verb, path),
        (decision) => (decision.allowed ? REVIEW_TTL_MS.allowed : REVIEW_TTL_MS.denied),
      );
      return authorization.allowed
        ? { code: 200, user: user.username }
        : { code: 403, user: user.username, reason: authorization.reason };
    } catch (error) {
      if (error instanceof ApiRequestError) return { code: 500, error };
      throw error;
    }
  }

  private async create(resource: string, path: string, body: object): Promise<Record<string, unknown>> {
    let reply: RestReply;
    try {
      reply = await this.transport.send("POST", path, body);
    } catch (error) {
      this.observe("create", resource, 0);
      throw new ApiRequestError(
        "create",
        resource,
        0,
        error instanceof Error ? error.message : String(error),
        {
          cause: error,
        },
      );
    }
    this.observe("create", resource, reply.status);
    if (reply.status < 200 || reply.status >= 300) {
      throw new ApiRequestError("create", resource, reply.status, statusMessage(reply.body));
    }
    try {
      return JSON.parse(reply.body) as Record<string, unknown>;
    } catch (error) {
      throw new ApiRequestError("create", resource, reply.status, "the answer is not JSON", { cause: error });
    }
  }

  private async reviewToken(token: string): Promise<Authentication> {
    const review = await this.create("tokenreviews", "/apis/authentication.k8s.io/v1/tokenreviews", {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenReview",
      spec: { token },
    });
    const status = review.status as { authenticated?: unknown; error?: unknown } | undefined;
    const user = userOf(status);
    if (status?.authenticated === true && user) return { authenticated: true, user };
    return {
      authenticated: false,
      reason: typeof status?.error === "string" && status.error ? status.error : "token not authenticated",
    };
  }

  private async reviewAccess(user: ReviewedUser, verb: string, path: string): Promise<Authorization> {
    const review = await this.create(
      "subjectaccessreviews",
      "/apis/authorization.k8s.io/v1/subjectaccessreviews",
      {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SubjectAccessReview",
        spec: {
          user: user.username,
          ...(user.uid ? { uid: user.uid } : {}),
          ...(user.groups ? { groups: user.groups } : {}),
          ...(user.extra ? { extra: user.extra } : {}),
          nonResourceAttributes: { verb, path },
        },
      },
    );
    const status = review.status as { allowed?: unknown; reason?: unknown } | undefined;
    return {
      allowed: status?.allowed === true,
      reason: typeof status?.reason === "string" ? status.reason : "",
    };
  }
}
