// State at start: every address shown in a served Service's status, in a
// known pool's range, is held again by that Service. Two Services showing one
// address: the older (creationTimestamp, then namespace/name) keeps it; the
// younger shares it when their sharing key lets them (whyCannotJoin), and is
// otherwise reassigned by its first reconcile, with a Warning. Then the
// addresses shown by Services of another class (or not LoadBalancer) are held
// as foreign (foreign.ts), after lbipam's own, so they never go to anyone.
// Before all of them, the addresses Calico's own controller recorded in its
// IPAM blocks (calico-records.ts): a Service showing one recorded for another
// (or for an earlier Service of its name) is a conflict it loses.
//
// The ledger is filled here, on the caller's thread; the pools' claims are
// left as one allocator RebuildTask per pool, so a caller with many addresses
// can run them on its worker pool (the claims land in the pools' shared memory).
import { type Address, type AddressPool, formatAddress, type RebuildTask } from "@lbipam/allocator";
import {
  type CalicoRecord,
  calicoHandleOf,
  loadBalancerClassOf,
  parseIngressAddress,
  type Service,
  serviceKey,
  serviceSharingProfile,
  whyCannotJoin,
} from "@lbipam/api";
import { claimHeld } from "./carry-out.js";
import { holdShown } from "./foreign.js";
import type { Ledger } from "./ledger.js";
import type { PoolRegistry } from "./pool-registry.js";

export interface RebuildConflict {
  address: string;
  keptBy: string;
  lostBy: string;
}

export interface LedgerRebuild {
  /** Addresses now held in the ledger. */
  held: number;
  conflicts: RebuildConflict[];
  /** Addresses a Service showed that a Calico IPAM block records for another (keptBy): the Service is reassigned. */
  recordedConflicts: RebuildConflict[];
  /** Addresses shown by Services lbipam does not manage, now held for them. */
  foreign: number;
  /** Addresses a Service lbipam does not manage shows, held by one it serves (left with it). */
  foreignConflicts: RebuildConflict[];
  /** The pools' claims still to make: run each with the allocator's runAllocatorTask. */
  tasks: RebuildTask[];
}

export function conflictMessage(conflict: RebuildConflict): string {
  return `${conflict.address} is in the status of both ${conflict.keptBy} and ${conflict.lostBy}; the older, ${conflict.keptBy}, keeps it`;
}

export function recordedConflictMessage(conflict: RebuildConflict): string {
  return `${conflict.address} is in the status of ${conflict.lostBy}, but a Calico IPAM block records it for ${conflict.keptBy}; ${conflict.lostBy} gets another address`;
}

/** A Service's age rank: creationTimestamp, then namespace/name breaks ties. */
export interface Age {
  created: string;
  key: string;
}

/** Negative when `a` is older: the one rule of who keeps an address. */
export function byAge(a: Age, b: Age): number {
  if (a.created !== b.created) return a.created < b.created ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

const ageOf = (service: Service): Age => ({
  created: service.metadata.creationTimestamp ?? "",
  key: serviceKey(service),
});

/** Oldest first: creationTimestamp, then namespace/name. */
export function olderFirst(a: Service, b: Service): number {
  return byAge(ageOf(a), ageOf(b));
}

/** A LoadBalancer Service of the controller's class (or of none): its status addresses count as held. */
export function ofOurClass(service: Service, loadBalancerClass: string): boolean {
  const cls = loadBalancerClassOf(service);
  return service.spec?.type === "LoadBalancer" && (cls === undefined || cls === loadBalancerClass);
}

/**
 * What the rebuild reads of a Service, as one string: "" when it reads
 * nothing (absent, of another class, or showing no address). Two versions of
 * a Service with the same reading are rebuilt the same, so a rebuild made
 * earlier still holds if every Service changed since reads the same.
 */
export function rebuildReading(service: Service | undefined, loadBalancerClass: string): string {
  if (!service) return "";
  const ips = (service.status?.loadBalancer?.ingress ?? []).map((entry) => entry.ip ?? "");
  if (ips.length === 0) return "";
  if (!ofOurClass(service, loadBalancerClass)) return `foreign ${ips.join(" ")}`;
  return `${service.metadata.creationTimestamp ?? ""} ${ips.join(" ")}`;
}

/** An address found in a Service's status, in a known pool. */
interface Found extends Age {
  address: Address;
  /** Its canonical form: the one key of the address, whatever the family. */
  text: string;
  pool: AddressPool;
}

/** Services (or addresses) handled between two steps: a step of one is mostly its own overhead. */
export const REBUILD_PER_STEP = 64;

export interface RebuildOptions {
  loadBalancerClass: string;
  /** What Calico's IPAM blocks record (calicoBlockRecords), if the cluster has them. */
  records?: readonly CalicoRecord[];
}

/** A Calico record of the address that is not this very Service's (another Service's, or an earlier one's of its name). */
function recordedForOther(
  ledger: Ledger,
  service: Service,
  key: string,
  address: Address,
): CalicoRecord | undefined {
  const records = ledger.recordsAt(address);
  if (records.length === 0) return undefined;
  const handle = calicoHandleOf(service);
  return records.find((record) => record.service !== key || record.handle !== handle);
}

/**
 * The rebuild, a few Services per step, so a caller with 100,000 of them can
 * give the event loop turns between steps. Into an empty ledger. Two passes,
 * no sort: the first finds the oldest Service showing each address (one map
 * lookup per address), the second holds each address for it; every other
 * Service showing it is a conflict.
 */
export function* rebuildSteps(
  services: readonly Service[],
  registry: PoolRegistry,
  ledger: Ledger,
  options: RebuildOptions,
): Generator<void, LedgerRebuild> {
  if (ledger.size > 0) throw new Error(`a rebuild needs an empty ledger; it holds ${ledger.size} addresses`);
  const oldest = new Map<string, Found>();
  const losers: Found[] = [];
  const foreign: Service[] = [];
  const recordedLosses: RebuildConflict[] = [];
  const records = options.records ?? [];
  for (const record of records) ledger.record(record);
  let handled = 0;
  for (const service of services) {
    // Services of another class are never touched: their addresses are held for them, after ours.
    if (!ofOurClass(service, options.loadBalancerClass)) {
      if ((service.status?.loadBalancer?.ingress?.length ?? 0) > 0) foreign.push(service);
      continue;
    }
    const key = serviceKey(service);
    const profile = serviceSharingProfile(service);
    if (profile) ledger.setProfile(key, profile);
    const created = service.metadata.creationTimestamp ?? "";
    for (const entry of service.status?.loadBalancer?.ingress ?? []) {
      const address = parseIngressAddress(entry);
      if (!address) continue;
      const pool = registry.poolSet.find(address.family, address.value);
      if (!pool) continue;
      const recorded = records.length > 0 ? recordedForOther(ledger, service, key, address) : undefined;
      if (recorded) {
        recordedLosses.push({
          address: formatAddress(address.family, address.value),
          keptBy: recorded.service === key ? `an earlier Service ${key} (another UID)` : recorded.service,
          lostBy: key,
        });
        continue;
      }
      const one: Found = { key, created, address, text: formatAddress(address.family, address.value), pool };
      const best = oldest.get(one.text);
      if (!best) oldest.set(one.text, one);
      else if (best.key === key)
        continue; // Listed twice by one Service: held once.
      else if (byAge(one, best) < 0) {
        oldest.set(one.text, one);
        losers.push(best);
      } else losers.push(one);
    }
    if (++handled % REBUILD_PER_STEP === 0) yield;
  }
  const result: LedgerRebuild = {
    held: 0,
    conflicts: [],
    recordedConflicts: recordedLosses,
    foreign: 0,
    foreignConflicts: [],
    tasks: [],
  };
  const claims = new Map<AddressPool, RebuildTask>();
  // A recorded address is claimed once, for its record.
  const claimedForRecords = new Set<string>();
  const claimIn = (pool: AddressPool, text: string) => {
    if (claimedForRecords.has(text)) return;
    let task = claims.get(pool);
    if (!task) {
      task = { kind: "rebuild", pool: pool.shared(), addresses: [] };
      claims.set(pool, task);
    }
    task.addresses.push(text);
  };
  for (const record of records) {
    const pool = registry.poolSet.find(record.address.family, record.address.value);
    if (pool) claimIn(pool, record.text);
    claimedForRecords.add(record.text);
  }
  for (const { key, address, text, pool } of oldest.values()) {
    ledger.hold(key, address, text);
    result.held++;
    claimIn(pool, text);
    if (++handled % REBUILD_PER_STEP === 0) yield;
  }
  // Older first, so who joins does not hang on the order the Services were listed in.
  losers.sort(byAge);
  for (const lost of losers) {
    const profile = ledger.profileOf(lost.key);
    const members = ledger.membersOf(lost.address);
    if (profile && whyCannotJoin(lost.key, profile, members) === undefined) {
      ledger.share(lost.key, lost.address, lost.text);
    } else {
      result.conflicts.push({
        address: lost.text,
        keptBy: oldest.get(lost.text)?.key ?? "",
        lostBy: lost.key,
      });
    }
    if (++handled % REBUILD_PER_STEP === 0) yield;
  }
  for (const service of foreign) {
    const key = serviceKey(service);
    const heldByOurs = holdShown(ledger, key, service, (address, text) => {
      result.foreign++;
      const pool = registry.poolSet.find(address.family, address.value);
      if (pool) claimIn(pool, text);
    });
    for (const { address, holder } of heldByOurs) {
      result.foreignConflicts.push({ address, keptBy: holder, lostBy: key });
    }
    if (++handled % REBUILD_PER_STEP === 0) yield;
  }
  result.tasks = [...claims.values()];
  return result;
}

/** The whole rebuild at once (offline, or few Services). */
export function rebuildLedger(
  services: readonly Service[],
  registry: PoolRegistry,
  ledger: Ledger,
  options: RebuildOptions,
): LedgerRebuild {
  const steps = rebuildSteps(services, registry, ledger, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** The rebuild, waiting for `turn()` between steps whenever it gives a promise. */
export async function rebuildLedgerInTurns(
  services: readonly Service[],
  registry: PoolRegistry,
  ledger: Ledger,
  options: RebuildOptions,
  turn: () => Promise<void> | undefined,
): Promise<LedgerRebuild> {
  const steps = rebuildSteps(services, registry, ledger, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    const waiting = turn();
    if (waiting) await waiting;
  }
}

/**
 * Claims again, in the pool that now serves it, every address the ledger
 * holds: after a pool's storage was replaced (its CIDR or block size
 * changed), so the new storage never hands out an address still held.
 * Returns how many were claimed.
 */
export function reclaimHoldings(ledger: Ledger, registry: PoolRegistry): number {
  let claimed = 0;
  const reclaim = (holding: Address) => {
    if (claimHeld(registry.poolSet, holding)) claimed++;
  };
  for (const key of ledger.keys()) for (const holding of ledger.holdings(key)) reclaim(holding);
  for (const { holding } of ledger.foreign()) reclaim(holding);
  for (const record of ledger.records()) reclaim(record.address);
  return claimed;
}
