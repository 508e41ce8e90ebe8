// `kubectl lbipam explain`: the Service's request, each pool and why it was or
// was not used, the decision of the SAME `decide` the controller runs, and what
// would unblock a Service that waits.
import { type Family, formatCidr, parseAddress } from "@lbipam/allocator";
import {
  calicoHandleOf,
  type Decision,
  decide,
  exactCount,
  type FamilyDecision,
  listSome,
  type PoolView,
  parseServiceRequest,
  requestedFamilies,
  type Service,
  ServiceReason,
  serviceKey,
  shorten,
} from "@lbipam/api";
import { renderTable } from "./output.js";
import { type ClusterState, decisionInput } from "./state.js";

const FAMILY: Record<Family, "IPv4" | "IPv6"> = { 4: "IPv4", 6: "IPv6" };

export type PoolVerdict = "used" | "candidate" | "blocked" | "full" | "not-considered";

export interface PoolConsideration {
  name: string;
  family: "IPv4" | "IPv6" | null;
  cidr: string;
  mode: string;
  /** lbipam.io/priority (null: none, after every pool with one). */
  priority: number | null;
  /** Where the decision tries the pool for its family, 1 first (null: the request rules it out). */
  order: number | null;
  /** The pool could give the Service a new address now. */
  candidate: boolean;
  free: number | string;
  verdict: PoolVerdict;
  why: string;
  /**
   * Why not, as a code: a ServiceReason when blocked or full, else what rules
   * the pool out (NotLoadBalancer, OtherFamily, NotHoldingAddress, NotNamed, NoFamily, Manual).
   */
  reason?: string;
}

export interface Explanation {
  service: string;
  managed: boolean;
  unmanagedReason: string | null;
  /** Why not, as a code: NotLoadBalancer, OtherClass or NotRequested. */
  unmanagedCode: string | null;
  config: { assignIPs: string; loadBalancerClass: string };
  request: {
    type: string | null;
    loadBalancerClass: string | null;
    families: ("IPv4" | "IPv6")[];
    ipFamilyPolicy: string;
    pools: Partial<Record<"IPv4" | "IPv6", string[]>>;
    addresses: Partial<Record<"IPv4" | "IPv6", { address: string; source: string }>>;
    problems: { annotation: string; value: string; reason: string }[];
  };
  status: string[];
  /** Addresses the (unmanaged) Service shows that lbipam holds for it: given to no other Service. */
  heldForIt: string[];
  /**
   * What Calico's IPAM blocks record under the Service's name: its own
   * (`forThisService`: its UID's handle) are kept or given to it; an earlier
   * Service's of the same name are held out of use.
   */
  calicoRecorded: { address: string; block: string; forThisService: boolean }[];
  /** lbipam.io/sharing-key, and the Services each address it holds is shared with (null: no key). */
  sharing: { key: string; addresses: { address: string; members: string[] }[] } | null;
  pools: PoolConsideration[];
  decision: {
    families: FamilyDecision[];
    release: string[];
    lost: { address: string; holder: string }[];
    condition: Decision["condition"] | null;
  };
  unblock: string[];
}

/** The pool (by name) that holds an address, among the serving pools. */
function poolHolding(state: ClusterState, text: string): string | undefined {
  const address = parseAddress(text);
  return state.poolSet.find(address.family, address.value)?.name;
}

type Verdict = Pick<PoolConsideration, "verdict" | "why" | "reason" | "candidate" | "order">;

/**
 * Why one pool was, or was not, used for the Service: where the decision's
 * own poolStandings put it (the one rule, packages/api pool-choice.ts), and
 * what the decision did with it.
 */
function considerPool(view: PoolView, families: Family[], decision: Decision, state: ClusterState): Verdict {
  const none = { candidate: false, order: null } as const;
  if (!view.loadBalancer) {
    return {
      ...none,
      verdict: "not-considered",
      why: "spec.allowedUses has no LoadBalancer",
      reason: "NotLoadBalancer",
    };
  }
  if (!decision.managed)
    return { ...none, verdict: "not-considered", why: "lbipam does not manage the Service" };
  const family = view.family ?? families[0];
  if (family === undefined || !families.includes(family)) {
    return {
      ...none,
      verdict: "not-considered",
      why: `the Service is not served for ${FAMILY[family ?? 4]}`,
      reason: "OtherFamily",
    };
  }
  const chosen = decision.families.find((d) => d.family === family);
  const standing = decision.poolStandings[family]?.find((s) => s.view === view);
  if (standing === undefined) {
    // The decision chose from no pool: the request is malformed, or the Service is going away.
    return {
      ...none,
      verdict: "not-considered",
      why:
        chosen?.action === "wait" && chosen.reason === ServiceReason.ServiceTerminating
          ? "the Service is being deleted: it gets nothing new"
          : "the Service's request is malformed: it keeps what it has and gets nothing new",
    };
  }
  if (standing.notCandidate) {
    return {
      ...none,
      verdict: "not-considered",
      why: standing.notCandidate.message,
      reason: standing.notCandidate.code,
    };
  }
  const order = standing.order ?? null;
  const candidate = !standing.blocked && !standing.full;
  const used = (why: string): Verdict => ({
    verdict: "used",
    why: standing.blocked ? `${why}; no new addresses: ${standing.blocked.message}` : why,
    candidate,
    order,
  });
  if (chosen?.action === "keep" && poolHolding(state, chosen.address) === view.name) {
    return used(`holds ${chosen.address} for the Service (kept)`);
  }
  if (chosen?.action === "claim" && chosen.pool === view.name) return used(`would claim ${chosen.address}`);
  if (chosen?.action === "share" && chosen.pool === view.name) {
    return used(`shares ${chosen.address} with ${chosen.with} (sharing key)`);
  }
  if (standing.blocked) {
    return {
      verdict: "blocked",
      why: standing.blocked.message,
      reason: standing.blocked.reason,
      candidate,
      order,
    };
  }
  if (standing.full) {
    return {
      verdict: "full",
      why: "no free address (every address allocated or reserved)",
      reason: ServiceReason.PoolExhausted,
      candidate,
      order,
    };
  }
  const rank = `order ${order}, ${view.priority === undefined ? "no lbipam.io/priority" : `lbipam.io/priority ${view.priority}`}`;
  const could = (why: string): Verdict => ({ verdict: "candidate", why, candidate, order });
  if (chosen?.action === "allocate") {
    return chosen.pools[0] === view.name
      ? { verdict: "used", why: `first with a free address (${rank}): allocates from it`, candidate, order }
      : could(`${rank}: used once ${chosen.pools[0]} is full`);
  }
  if (chosen?.action === "keep" || chosen?.action === "claim" || chosen?.action === "share") {
    return could(`could serve (${rank}), but the Service keeps ${chosen.address}`);
  }
  if (chosen?.action === "wait" && chosen.reason === ServiceReason.FamilyPending) {
    return could("could serve, but RequireDualStack waits for the other family");
  }
  return could(`could serve (${rank})`);
}

/** What the operator can change so the waiting families get an address. */
function unblockHints(
  explanation: Omit<Explanation, "unblock">,
  service: Service,
  state: ClusterState,
): string[] {
  const hints: string[] = [];
  const add = (hint: string) => {
    if (!hints.includes(hint)) hints.push(hint);
  };
  if (!explanation.managed) {
    // spec.loadBalancerClass is immutable: only actions that work on an existing Service are hinted.
    switch (explanation.unmanagedCode) {
      case "NotLoadBalancer":
        add("set spec.type: LoadBalancer to have lbipam assign an address");
        break;
      case "OtherClass":
        add(
          `another class belongs to another controller, and the class cannot be changed: recreate the Service without spec.loadBalancerClass (or with ${state.config.loadBalancerClass}), or run lbipam with --load-balancer-class`,
        );
        break;
      case "NotRequested":
        add(
          "assignIPs is RequestedServicesOnly: add a projectcalico.org/ipv4pools, ipv6pools or loadBalancerIPs annotation, or switch the KubeControllersConfiguration default to AllServices",
        );
        break;
      case "CalicoController":
        add(
          "Calico's own LoadBalancer controller serves this Service: stop it (kube-controllers without loadbalancer in ENABLED_CONTROLLERS) to move to lbipam, or create Services of lbipam's class (--load-balancer-class, not calico)",
        );
        break;
    }
    return hints;
  }
  for (const problem of explanation.request.problems) {
    add(`fix ${problem.annotation} (${JSON.stringify(problem.value)}): ${problem.reason}`);
  }
  const namespace = service.metadata.namespace ?? "";
  for (const decision of explanation.decision.families) {
    if (decision.action !== "wait") continue;
    const family = FAMILY[decision.family];
    const pools = explanation.pools.filter((p) => p.family === family && p.verdict !== "not-considered");
    switch (decision.reason) {
      case ServiceReason.NoPool:
      case ServiceReason.PoolDisabled:
      case ServiceReason.PoolNotAllocatable:
      case ServiceReason.NamespaceNotAllowed:
      case ServiceReason.ServiceNotSelected:
      case ServiceReason.PoolExhausted: {
        if (pools.length === 0) {
          const wanted = explanation.request.pools[family];
          add(
            wanted
              ? `add a LoadBalancer pool of ${family} named in the annotation, or name an existing one`
              : `add an Automatic LoadBalancer pool of ${family} (or name a Manual one in projectcalico.org/ipv${decision.family}pools)`,
          );
        }
        for (const pool of pools) {
          if (pool.verdict === "full") {
            add(
              `free an address in pool ${pool.name} (delete a Service holding one, or remove an IPReservation covering it), or add another ${family} pool`,
            );
          } else if (pool.reason === ServiceReason.PoolDisabled) {
            add(`enable pool ${pool.name} (spec.disabled: false)`);
          } else if (pool.reason === ServiceReason.NamespaceNotAllowed) {
            add(
              `pool ${pool.name}'s namespaceSelector does not match namespace ${namespace}: change the selector or the namespace's labels`,
            );
          } else if (pool.reason === ServiceReason.ServiceNotSelected) {
            add(
              `pool ${pool.name}'s lbipam.io/service-selector does not select the Service: change the selector or the Service's labels`,
            );
          } else if (pool.verdict === "blocked") {
            add(`fix pool ${pool.name}: ${pool.why} (see \`kubectl lbipam pools\`)`);
          }
        }
        break;
      }
      case ServiceReason.PoolNotFound:
        add(
          `create the pool projectcalico.org/ipv${decision.family}pools names, or name an existing ${family} pool (${decision.message})`,
        );
        break;
      case ServiceReason.RequestedIPInUse: {
        const wanted = explanation.request.addresses[family];
        add(
          `${wanted?.address ?? "the requested address"} is taken (${decision.message}): release it there, or ask for another address`,
        );
        break;
      }
      case ServiceReason.RequestedIPNotInPool: {
        const wanted = explanation.request.addresses[family];
        add(
          `${wanted?.address ?? "the requested address"} is in no LoadBalancer pool that can serve: add or fix a pool whose CIDR holds it, or ask for an address inside one`,
        );
        break;
      }
      case ServiceReason.ServiceTerminating:
        add("the Service is being deleted; nothing new is assigned to it");
        break;
      default:
        break;
    }
  }
  const assigns = explanation.decision.families.some((d) => d.action === "allocate" || d.action === "claim");
  if (assigns && explanation.status.length === 0) {
    add(
      "the controller assigns on its next reconcile; if the Service stays pending, check that the controller is running",
    );
  }
  return hints;
}

export function explainService(state: ClusterState, service: Service): Explanation {
  const input = decisionInput(state, service);
  const decision = decide(input);
  const request = parseServiceRequest(service);
  const families = requestedFamilies(service);
  const pools = [...state.views.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((view): PoolConsideration => {
      const { candidate, order, verdict, why, reason } = considerPool(view, families, decision, state);
      return {
        name: view.name,
        family: view.family === undefined ? null : FAMILY[view.family],
        cidr: view.cidr ? formatCidr(view.cidr) : "-",
        mode: view.mode,
        priority: view.priority ?? null,
        order,
        candidate,
        free: exactCount(state.poolSet.get(view.name)?.counts().free ?? 0n),
        verdict,
        why,
        ...(reason === undefined ? {} : { reason }),
      };
    });
  const pick = <T>(record: Partial<Record<Family, T>>) => {
    const out: Partial<Record<"IPv4" | "IPv6", T>> = {};
    for (const family of [4, 6] as const) {
      const value = record[family];
      if (value !== undefined) out[FAMILY[family]] = value;
    }
    return out;
  };
  const addresses = pick(request.addresses);
  const explanation: Omit<Explanation, "unblock"> = {
    service: serviceKey(service),
    managed: decision.managed,
    unmanagedReason: decision.unmanagedReason ?? null,
    unmanagedCode: decision.unmanagedCode ?? null,
    config: { assignIPs: state.config.assignIPs, loadBalancerClass: state.config.loadBalancerClass },
    request: {
      type: service.spec?.type ?? null,
      loadBalancerClass: service.spec?.loadBalancerClass ?? null,
      families: families.map((f) => FAMILY[f]),
      ipFamilyPolicy: service.spec?.ipFamilyPolicy ?? "SingleStack",
      pools: pick(request.pools),
      addresses: Object.fromEntries(
        Object.entries(addresses).map(([family, a]) => [family, { address: a.text, source: a.source }]),
      ),
      problems: decision.problems.map(({ annotation, value, reason }) => ({ annotation, value, reason })),
    },
    status: (service.status?.loadBalancer?.ingress ?? []).map((entry) => entry.ip ?? entry.hostname ?? ""),
    heldForIt: state.ledger.foreignHoldings(serviceKey(service)).map((holding) => holding.text),
    calicoRecorded: calicoRecordedFor(state, service),
    sharing: sharingOf(state, serviceKey(service), decision),
    pools,
    decision: {
      families: decision.families,
      release: decision.release,
      lost: decision.lost,
      condition: decision.condition ?? null,
    },
  };
  return { ...explanation, unblock: unblockHints(explanation, service, state) };
}

function calicoRecordedFor(state: ClusterState, service: Service): Explanation["calicoRecorded"] {
  const key = serviceKey(service);
  const records = state.ledger.recordsFor(key);
  if (records.length === 0) return [];
  const handle = calicoHandleOf(service);
  return records.map((record) => ({
    address: record.text,
    block: record.block,
    forThisService: record.handle === handle,
  }));
}

/** The Service's sharing key and who shares each address it holds (from the same ledger as the decision). */
function sharingOf(state: ClusterState, key: string, decision: Decision): Explanation["sharing"] {
  if (!decision.sharing) return null;
  const addresses = state.ledger.holdings(key).map((holding) => ({
    address: holding.text,
    members: state.ledger
      .membersOf(holding)
      .map((member) => member.service)
      .filter((member) => member !== key),
  }));
  return { key: decision.sharing.key, addresses };
}

function describeDecision(decision: FamilyDecision): string {
  switch (decision.action) {
    case "keep":
      return `keep ${decision.address}`;
    case "claim":
      return `claim ${decision.address} from pool ${decision.pool}`;
    case "share":
      return `share ${decision.address} of pool ${decision.pool} with ${decision.with} (sharing key)`;
    case "allocate":
      return `allocate from ${decision.pools.join(", ")} (first with a free address)`;
    case "wait":
      return `wait (${decision.reason}): ${decision.message}`;
  }
}

export function renderExplanation(e: Explanation): string {
  const out: string[] = [];
  out.push(`Service:    ${e.service}`);
  out.push(`Addresses:  ${e.status.length > 0 ? e.status.join(", ") : "<pending>"}`);
  out.push(
    `Managed:    ${e.managed ? "yes" : `no: ${e.unmanagedReason}`} (controller class ${e.config.loadBalancerClass}, assignIPs ${e.config.assignIPs})`,
  );
  out.push("", "Request:");
  out.push(`  type:           ${e.request.type ?? "<unset>"}`);
  out.push(`  class:          ${e.request.loadBalancerClass ?? "<unset>"}`);
  out.push(`  families:       ${e.request.families.join(", ")} (${e.request.ipFamilyPolicy})`);
  for (const family of e.request.families) {
    const address = e.request.addresses[family];
    const pools = e.request.pools[family];
    const what = address
      ? `address ${address.address} (${address.source}), no fallback`
      : pools
        ? `pools ${listSome(
            pools.map((name) => shorten(name)),
            ", ",
          )} (projectcalico.org/ipv${family === "IPv4" ? 4 : 6}pools)`
        : "any Automatic LoadBalancer pool, by lbipam.io/priority (none last), then name";
    out.push(`  ${`${family}:`.padEnd(16)}${what}`);
  }
  for (const problem of e.request.problems) {
    out.push(`  problem:        ${problem.annotation} ${JSON.stringify(problem.value)}: ${problem.reason}`);
  }
  out.push("", "Pools:");
  if (e.pools.length === 0) out.push("  no IPPool exists");
  else {
    const table = renderTable(
      ["NAME", "FAMILY", "CIDR", "MODE", "PRIORITY", "ORDER", "FREE", "VERDICT", "WHY"],
      e.pools.map((p) => [
        p.name,
        p.family ?? "-",
        p.cidr,
        p.mode,
        p.priority === null ? "-" : String(p.priority),
        p.order === null ? "-" : String(p.order),
        String(p.free),
        p.verdict,
        p.why,
      ]),
    );
    out.push(
      ...table
        .trimEnd()
        .split("\n")
        .map((line) => `  ${line}`),
    );
  }
  out.push("", "Decision:");
  if (!e.managed) out.push(`  none: ${e.unmanagedReason}`);
  if (e.heldForIt.length > 0) {
    out.push(`  held for it: ${listSome(e.heldForIt)} (no other Service is given these addresses)`);
  }
  for (const { address, block, forThisService } of e.calicoRecorded) {
    out.push(
      forThisService
        ? `  recorded by Calico: ${address} for this Service, in IPAM block ${block}: kept, or given when its status shows none`
        : `  recorded by Calico: ${address} for an earlier Service of this name (another UID), in IPAM block ${block}: held out of use`,
    );
  }
  for (const decision of e.decision.families) {
    out.push(`  ${FAMILY[decision.family]}: ${describeDecision(decision)}`);
  }
  if (e.sharing) {
    const shared = e.sharing.addresses.map(({ address, members }) =>
      members.length > 0 ? `${address} with ${listSome(members, ", ")}` : `${address} (alone)`,
    );
    out.push(
      `  sharing key ${JSON.stringify(e.sharing.key)}: ${shared.length > 0 ? shared.join("; ") : "nothing held yet"}`,
    );
  }
  for (const address of e.decision.release) out.push(`  release ${address}`);
  for (const lost of e.decision.lost) out.push(`  drop ${lost.address} (held by Service ${lost.holder})`);
  if (e.decision.condition) {
    const c = e.decision.condition;
    out.push(`  condition: ${c.type}=${c.status} ${c.reason}: ${c.message}`);
  }
  if (e.unblock.length > 0) {
    out.push("", "To unblock:");
    for (const hint of e.unblock) out.push(`  - ${hint}`);
  }
  return `${out.join("\n")}\n`;
}
