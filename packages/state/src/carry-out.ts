// Carrying out a decision of @lbipam/api's `decide` on the ledger and the
// pools: the one code the controller, `kubectl lbipam simulate` and the
// tests' cluster share, so they cannot disagree. One reconcile, in order
// (reconcileNow / reconcileInTurns, the only drivers):
//   1. keep, claim and allocate each family (RequireDualStack is all or
//      none: a family that cannot be served gives back what the others just
//      got);
//   2. the caller's `write` shows the result in the Service's status
//      (the ingress it is given);
//   3. only once `write` returned do the addresses the Service gave up go
//      back, so no other Service's status can show an address while this one
//      still does (a write that throws leaves them held for the retry). A
//      shared address goes back to its pool only when its last member lets go.
// The Service's sharing profile is recorded in the ledger before step 1 when
// it gives nothing up, else after step 3: the other members of an address it
// leaves never see it there with a profile that no longer fits them.
// New addresses come from an allocate function: the pools' own allocate()
// offline (reconcileNow), the controller's batching worker pool online
// (reconcileInTurns). The steps are one generator, so both run the same code.
import { type Address, type AddressPool, type Family, type PoolSet, parseAddress } from "@lbipam/allocator";
import {
  carriedOutCondition,
  type Decision,
  desiredIngress,
  type FamilyDecision,
  type LoadBalancerIngress,
  noFreeAddressCondition,
  requestedIPTakenCondition,
  type Service,
  ServiceReason,
} from "@lbipam/api";
import type { Ledger } from "./ledger.js";

export interface Allocated {
  pool: AddressPool;
  value: bigint;
}

/** One automatic allocation to make: the first of `pools` (in order) with a free address. */
export interface AllocationRequest {
  family: Family;
  pools: AddressPool[];
}

/** An address newly taken for the Service: for metrics (allocations per pool). */
export interface Taken {
  address: string;
  family: Family;
  pool: string;
}

export interface CarriedOut {
  /** The addresses the Service holds now, one per family served, in decision order. */
  addresses: string[];
  /** Addresses it took in this reconcile (claimed or allocated, not rolled back). */
  taken: Taken[];
  /** Some family is left without an address. */
  waiting: boolean;
  /** RequireDualStack gave back what it just took: addresses were freed. */
  rolledBack: boolean;
  /** Why a family the decision meant to serve could not be: the condition to show instead. */
  raced: Decision["condition"] | undefined;
  /**
   * Addresses the allocator handed out though the ledger holds them (a bug if
   * ever seen: the claims and the ledger disagree); another was taken instead.
   */
  disagreements: { address: string; holder: string | undefined }[];
}

type FamilyOutcome = { address: string; taken?: Taken; joined?: boolean } | { raced?: Decision["condition"] };

/** Step 1: yields the allocations to make, all at once, and is given their results in order. */
function* carryOutSteps(
  key: string,
  service: Service,
  decision: Decision,
  ledger: Ledger,
  poolSet: PoolSet,
): Generator<AllocationRequest[], CarriedOut, (Allocated | undefined)[]> {
  const disagreements: CarriedOut["disagreements"] = [];
  const outcomes: (FamilyOutcome | undefined)[] = decision.families.map((family) =>
    family.action === "allocate" ? undefined : settleFamily(key, family, ledger, poolSet),
  );
  // Every family's allocation goes out together: one Service's allocations share a batch.
  let asked = decision.families.flatMap((family, index) =>
    family.action === "allocate" && outcomes[index] === undefined ? [{ index, family }] : [],
  );
  while (asked.length > 0) {
    const requests = asked.map(({ family }) => ({
      family: family.family,
      pools: (family as Extract<FamilyDecision, { action: "allocate" }>).pools.flatMap(
        (name) => poolSet.get(name) ?? [],
      ),
    }));
    const results = requests.some((r) => r.pools.length > 0) ? yield requests : requests.map(() => undefined);
    const again: typeof asked = [];
    asked.forEach((ask, i) => {
      const got = results[i];
      const family = ask.family as Extract<FamilyDecision, { action: "allocate" }>;
      if (!got || requests[i]!.pools.length === 0) {
        outcomes[ask.index] = { raced: noFreeAddressCondition(family.family, family.pools) };
        return;
      }
      const address: Address = { family: family.family, value: got.value };
      if (!ledger.hold(key, address)) {
        // The claim stays, so the address is never given out twice; ask for another. A Calico
        // block recording it since the allocation began is no disagreement: the block claimed it.
        if (ledger.recordsAt(address).length === 0)
          disagreements.push({ address: got.pool.format(got.value), holder: ledger.holderOf(address) });
        again.push(ask);
        return;
      }
      const text = got.pool.format(got.value);
      outcomes[ask.index] = {
        address: text,
        taken: { address: text, family: family.family, pool: got.pool.name },
      };
    });
    asked = again;
  }

  const addresses: string[] = [];
  const taken: Taken[] = [];
  const joined: string[] = [];
  let raced: Decision["condition"] | undefined;
  let waiting = false;
  for (const outcome of outcomes) {
    if (outcome && "address" in outcome) {
      addresses.push(outcome.address);
      if (outcome.taken) taken.push(outcome.taken);
      if (outcome.joined) joined.push(outcome.address);
    } else {
      waiting = true;
      if (outcome?.raced && !raced) raced = outcome.raced;
    }
  }
  if (waiting && service.spec?.ipFamilyPolicy === "RequireDualStack" && taken.length + joined.length > 0) {
    const given = new Set([...taken.map((t) => t.address), ...joined]);
    for (const address of given) releaseAddress(key, parseAddress(address), ledger, poolSet);
    return {
      addresses: addresses.filter((text) => !given.has(text)),
      taken: [],
      waiting,
      rolledBack: true,
      raced,
      disagreements,
    };
  }
  return { addresses, taken, waiting, rolledBack: false, raced, disagreements };
}

/** keep, claim or wait: what needs no allocator. */
function settleFamily(key: string, family: FamilyDecision, ledger: Ledger, poolSet: PoolSet): FamilyOutcome {
  switch (family.action) {
    case "keep": {
      const address = parseAddress(family.address);
      ledger.hold(key, address);
      // A pool re-created under the same range starts empty: mark the address taken again.
      claimHeld(poolSet, address);
      return { address: family.address };
    }
    case "claim": {
      const address = parseAddress(family.address);
      const pool = poolSet.get(family.pool);
      // A Calico block records it for this Service (the decision checked whose): claimed for it already.
      const recorded = ledger.recordedFor(address) === key;
      // Someone took it since the decision (or the pool went): wait for exactly this address.
      const taken = recorded
        ? ledger.holderOf(address) !== key || !pool
        : ledger.holderOf(address) !== undefined || !pool || !pool.claim(address.value);
      if (taken || !pool) return { raced: requestedIPTakenCondition(family.address) };
      if (recorded) claimHeld(poolSet, address);
      ledger.hold(key, address);
      return {
        address: family.address,
        taken: { address: family.address, family: family.family, pool: pool.name },
      };
    }
    case "share": {
      const address = parseAddress(family.address);
      if (ledger.share(key, address)) return { address: family.address, joined: true };
      // Its last member let go since the decision: the address is free to take.
      return settleFamily(key, { ...family, action: "claim" }, ledger, poolSet);
    }
    case "allocate":
    case "wait":
      return {};
  }
}

/** Step 2: what the Service's status should show now that the decision is carried out. */
export interface StatusToWrite {
  carried: CarriedOut;
  ingress: LoadBalancerIngress[];
  /** The decision's condition, or why a family it meant to serve could not be. */
  condition: Decision["condition"];
}

/** What one reconcile did: what it carried out and showed, and what went back after the write. */
export interface Reconciled {
  carried: CarriedOut;
  condition: Decision["condition"];
  released: Released[];
}

type ReconcileStep = { allocate: AllocationRequest[] } | { write: StatusToWrite };

/** Steps 1 to 3: yields the allocations to make (answered with their results), then the status to write. */
function* reconcileSteps(
  key: string,
  service: Service,
  decision: Decision,
  ledger: Ledger,
  poolSet: PoolSet,
): Generator<ReconcileStep, Reconciled, (Allocated | undefined)[] | undefined> {
  if (decision.release.length === 0) ledger.setProfile(key, decision.sharing);
  const steps = carryOutSteps(key, service, decision, ledger, poolSet);
  let step = steps.next();
  while (!step.done) step = steps.next((yield { allocate: step.value }) ?? []);
  const carried = step.value;
  const assigned = carried.addresses.map((address) => {
    const parsed = parseAddress(address);
    return { address, pool: poolSet.find(parsed.family, parsed.value)?.name };
  });
  const condition = carried.raced ?? carriedOutCondition(decision, service.spec?.ipFamilyPolicy, assigned);
  // Another controller's Service: its status is not lbipam's to write.
  if (!decision.leaveStatus) {
    yield { write: { carried, ingress: desiredIngress(service, decision, carried.addresses), condition } };
  }
  const released = releaseGivenUp(key, decision, ledger, poolSet);
  ledger.setProfile(key, decision.sharing);
  return { carried, condition, released };
}

/** One reconcile with a synchronous allocator and status write (simulate, tests). */
export function reconcileNow(
  key: string,
  service: Service,
  decision: Decision,
  ledger: Ledger,
  poolSet: PoolSet,
  write: (status: StatusToWrite) => void,
  allocate: (request: AllocationRequest) => Allocated | undefined = allocateInOrder,
): Reconciled {
  const steps = reconcileSteps(key, service, decision, ledger, poolSet);
  let step = steps.next();
  while (!step.done) {
    if ("allocate" in step.value) step = steps.next(step.value.allocate.map(allocate));
    else {
      write(step.value.write);
      step = steps.next(undefined);
    }
  }
  return step.value;
}

/** One reconcile with an asynchronous allocator and status write (the controller). */
export async function reconcileInTurns(
  key: string,
  service: Service,
  decision: Decision,
  ledger: Ledger,
  poolSet: PoolSet,
  write: (status: StatusToWrite) => Promise<void>,
  allocate: (request: AllocationRequest) => Promise<Allocated | undefined>,
): Promise<Reconciled> {
  const steps = reconcileSteps(key, service, decision, ledger, poolSet);
  let step = steps.next();
  while (!step.done) {
    if ("allocate" in step.value) step = steps.next(await Promise.all(step.value.allocate.map(allocate)));
    else {
      await write(step.value.write);
      step = steps.next(undefined);
    }
  }
  return step.value;
}

/** The first of the pools with a free address, on this thread. */
export function allocateInOrder(request: AllocationRequest): Allocated | undefined {
  for (const pool of request.pools) {
    const value = pool.allocate();
    if (value !== undefined) return { pool, value };
  }
  return undefined;
}

/**
 * Marks a held address taken in the pool that now serves it, if it is not
 * already (new storage starts empty); true if it claimed it now.
 */
export function claimHeld(poolSet: PoolSet, address: Address): boolean {
  const pool = poolSet.find(address.family, address.value);
  return pool !== undefined && !pool.isAllocated(address.value) && pool.claim(address.value);
}

/**
 * Lets go of an address in the ledger, and gives it back to its pool when no
 * other member of a shared address still holds it; the pool it went back
 * to, if it went back.
 */
export function releaseAddress(
  key: string,
  address: Address,
  ledger: Ledger,
  poolSet: PoolSet,
): { pool: string | undefined } | undefined {
  if (!ledger.release(key, address) || ledger.keepsClaim(address)) return undefined;
  const pool = poolSet.find(address.family, address.value);
  pool?.release(address.value);
  return { pool: pool?.name };
}

/** An address given back, with the pool it went back to. */
export interface Released {
  address: Address;
  pool: string | undefined;
}

/** Step 3: the addresses the decision gives up go back (the status no longer shows them). */
function releaseGivenUp(key: string, decision: Decision, ledger: Ledger, poolSet: PoolSet): Released[] {
  const released: Released[] = [];
  for (const text of decision.release) {
    const address = parseAddress(text);
    const back = releaseAddress(key, address, ledger, poolSet);
    if (back) released.push({ address, pool: back.pool });
  }
  return released;
}

/** Everything a Service holds goes back: it is gone. */
export function releaseAll(key: string, ledger: Ledger, poolSet: PoolSet): Released[] {
  ledger.setProfile(key, undefined);
  const released: Released[] = [];
  for (const holding of [...ledger.holdings(key)]) {
    const back = releaseAddress(key, holding, ledger, poolSet);
    if (back) released.push({ address: holding, pool: back.pool });
  }
  return released;
}

/** What became of a Service, for metrics and reports. */
export type ServiceState = "allocated" | "partial" | "pending" | "invalid" | "unmanaged";

export function serviceState(
  decision: Decision,
  carried: Pick<CarriedOut, "waiting" | "addresses">,
  condition: Decision["condition"],
): ServiceState {
  if (!decision.managed) return "unmanaged";
  if (condition?.reason === ServiceReason.InvalidAnnotation) return "invalid";
  if (!carried.waiting) return "allocated";
  return carried.addresses.length > 0 ? "partial" : "pending";
}
