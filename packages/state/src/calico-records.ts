// Addresses Calico's own LoadBalancer controller recorded for Services in
// its IPAM blocks (calicoBlockRecords in @lbipam/api), kept in the ledger:
// each is its Service's alone (the decision sees it through holderSeenBy
// with the Service's Calico handle), claimed in its pool while recorded,
// and never released by lbipam: a record whose Service is gone, or is
// another of the same name, keeps its address out of use until the block
// no longer records it (behaviour.md "Calico clusters").
import type { Address, PoolSet } from "@lbipam/allocator";
import { type CalicoRecord, calicoHandleOf, type DecisionInput, type Service } from "@lbipam/api";
import { claimHeld } from "./carry-out.js";
import type { Ledger } from "./ledger.js";
import type { PoolRegistry } from "./pool-registry.js";

export interface BlockChange {
  /** The Services whose records came or went, and those holding what is now recorded for another: reconcile them. */
  services: string[];
  /** Addresses no longer recorded that nobody holds: back in their pools. */
  freed: Address[];
  /** Addresses now recorded for another than the Service lbipam serves that holds them: that Service is moved. */
  heldByOthers: { address: string; recordedFor: string; holder: string }[];
}

const sameRecord = (a: CalicoRecord | undefined, b: CalicoRecord) =>
  a !== undefined && a.service === b.service && a.handle === b.handle;
const byAddress = (records: readonly CalicoRecord[]) => new Map(records.map((r) => [r.text, r]));

/** Forgets one record, giving its address back to its pool when nothing else holds or records it. */
function forget(ledger: Ledger, poolSet: PoolSet, record: CalicoRecord): boolean {
  if (!ledger.unrecord(record) || ledger.holderOf(record.address) !== undefined) return false;
  poolSet.find(record.address.family, record.address.value)?.release(record.address.value);
  return true;
}

/** Records one address, claiming it in its pool; the Service lbipam serves that holds it for another, if one does. */
function holdRecord(ledger: Ledger, poolSet: PoolSet, record: CalicoRecord): string | undefined {
  ledger.record(record);
  claimHeld(poolSet, record.address);
  const holder = ledger.isHeld(record.address) ? ledger.holderOf(record.address) : undefined;
  return holder !== undefined && holder !== record.service ? holder : undefined;
}

/** Brings the ledger in line with what block `block` records now (none: the block is gone). */
export function syncBlockRecords(
  ledger: Ledger,
  registry: PoolRegistry,
  block: string,
  records: readonly CalicoRecord[],
): BlockChange {
  const change: BlockChange = { services: [], freed: [], heldByOthers: [] };
  const services = new Set<string>();
  const before = ledger.recordsInBlock(block);
  const now = byAddress(records);
  const then = byAddress(before);
  for (const record of [...before]) {
    if (sameRecord(now.get(record.text), record)) continue;
    services.add(record.service);
    if (forget(ledger, registry.poolSet, record)) change.freed.push(record.address);
  }
  for (const record of records) {
    if (sameRecord(then.get(record.text), record)) continue;
    services.add(record.service);
    const holder = holdRecord(ledger, registry.poolSet, record);
    if (holder !== undefined) {
      change.heldByOthers.push({ address: record.text, recordedFor: record.service, holder });
      services.add(holder);
    }
  }
  change.services = [...services];
  return change;
}

/** Forgets every record (standing by), giving back the addresses nobody else holds. */
export function forgetRecords(ledger: Ledger, poolSet: PoolSet): void {
  for (const record of [...ledger.records()]) forget(ledger, poolSet, record);
}

/**
 * The ledger's part of a decision's input for one Service: who holds each
 * address as it sees them, and what Calico's blocks record for this very
 * Service (its handle, computed only when its name has records). The
 * controller, the plugin and the tests decide through this one function.
 */
export function ledgerDecisionInput(
  ledger: Ledger,
  service: Service,
  key: string,
): Pick<DecisionInput, "holderOf" | "sharing" | "calicoRecorded"> {
  if (!ledger.hasRecordsFor(key)) return { holderOf: ledger.holderSeenBy(key), sharing: ledger };
  const records = ledger.recordsFor(key);
  const handle = calicoHandleOf(service);
  const calicoRecorded = records
    .filter((record) => record.handle === handle)
    .map((record) => record.address)
    .sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  return { holderOf: ledger.holderSeenBy(key, handle), sharing: ledger, calicoRecorded };
}

/** An address a Calico block records that no Service lbipam serves holds. */
export interface RecordedAddress {
  address: string;
  service: string;
  handle: string;
  block: string;
}

/**
 * Per pool, the addresses Calico's blocks record that no Service holds (not
 * lbipam's, nor one it does not manage showing it), each once; those in no
 * pool are left out.
 */
export function recordedByPool(ledger: Ledger, poolSet: PoolSet): Map<string, RecordedAddress[]> {
  const byPool = new Map<string, RecordedAddress[]>();
  const seen = new Set<string>();
  for (const { address, text, service, handle, block } of ledger.records()) {
    if (seen.has(text)) continue;
    seen.add(text);
    if (ledger.isHeld(address) || ledger.isForeign(address)) continue;
    const pool = poolSet.find(address.family, address.value);
    if (!pool) continue;
    const list = byPool.get(pool.name) ?? [];
    list.push({ address: text, service, handle, block });
    byPool.set(pool.name, list);
  }
  return byPool;
}
