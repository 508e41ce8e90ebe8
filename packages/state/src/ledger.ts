// Who holds which address: the controller's own record, which outlives a
// failed status write (so an address given to a Service is never given to
// another while the write is retried) and is rebuilt from Services' status
// at start. Beside it, the addresses shown by Services lbipam does not
// manage ("foreign"): never given to anyone, never released by lbipam.
// An address shared by Services of one sharing key (sharing.ts in
// @lbipam/api) has a first holder and the other members beside it; it goes
// back to its pool only when the last of them lets go. Last, the addresses
// Calico's own controller recorded for a Service in its IPAM blocks
// (calico-records.ts): that Service's alone, and never back in their pool
// while recorded.
import { type Address, type Family, formatAddress } from "@lbipam/allocator";
import type { CalicoRecord, SharingMember, SharingProfile, SharingReader } from "@lbipam/api";

export interface Holding {
  family: Family;
  value: bigint;
  text: string;
}

/** IPv4 addresses are keyed as numbers: a Map hashes them much faster than bigints. */
type AddressKey = number | bigint;

const addressKey = (address: Address): AddressKey =>
  address.family === 4 ? Number(address.value) : address.value;

/**
 * The Services of one sharing key: the one Service while it is alone, a list
 * while short (most keys have two members; a Set of two costs about 60 bytes
 * a member more), a Set past SHORT_MEMBERS so a key with many members still
 * adds and removes in O(1).
 */
type KeyMembers = string | string[] | Set<string>;
const SHORT_MEMBERS = 16;

function withMember(members: KeyMembers | undefined, service: string): KeyMembers {
  if (members === undefined || members === service) return service;
  if (typeof members === "string") return [members, service];
  if (members instanceof Set) return members.add(service);
  if (members.includes(service)) return members;
  // concat makes a list of the exact length: push (or a spread) leaves room for more.
  const longer = members.concat(service);
  return longer.length > SHORT_MEMBERS ? new Set(longer) : longer;
}

/** The members left without `service`; undefined when none is. */
function withoutMember(members: KeyMembers, service: string): KeyMembers | undefined {
  if (typeof members === "string") return members === service ? undefined : members;
  if (members instanceof Set) members.delete(service);
  else if (members.includes(service)) members.splice(members.indexOf(service), 1);
  return (members instanceof Set ? members.size : members.length) === 0 ? undefined : members;
}

const recordId = (record: CalicoRecord) => `${record.block}\n${record.text}`;

/**
 * Who the Calico records of an address make it, as Service `key` of Calico
 * handle `handle` sees them: undefined when every record is this very
 * Service's, else the other Service (or the earlier one of this name).
 */
function recordedAgainst(
  records: readonly CalicoRecord[],
  key: string,
  handle: string | undefined,
): string | undefined {
  const other = records.find((r) => r.service !== key);
  if (other) return other.service;
  const earlier = records.find((r) => r.handle !== handle);
  return earlier && `${key} (an earlier Service of that name, in Calico IPAM block ${earlier.block})`;
}

const eachMember = (members: KeyMembers | undefined): Iterable<string> =>
  members === undefined ? [] : typeof members === "string" ? [members] : members;

export class Ledger implements SharingReader {
  private readonly holders: Record<Family, Map<AddressKey, string>> = { 4: new Map(), 6: new Map() };
  /** The members of a shared address besides its first holder, in the order they joined. */
  private readonly sharers: Record<Family, Map<AddressKey, string[]>> = { 4: new Map(), 6: new Map() };
  private readonly byKey = new Map<string, Holding[]>();
  /** The sharing profile of each Service with a sharing key, as of its last reconcile. */
  private readonly profiles = new Map<string, SharingProfile>();
  /** The Services with a profile, by sharing key. */
  private readonly bySharingKey = new Map<string, KeyMembers>();
  private readonly foreignHolders: Record<Family, Map<AddressKey, string>> = { 4: new Map(), 6: new Map() };
  private readonly foreignByKey = new Map<string, Holding[]>();
  /** Calico's records of each address: one per block recording it (two blocks recording one address is not Calico's doing). */
  private readonly recorded: Record<Family, Map<AddressKey, CalicoRecord[]>> = { 4: new Map(), 6: new Map() };
  /** The same records by the Service they name and by block, each keyed by block and address. */
  private readonly recordedByService = new Map<string, Map<string, CalicoRecord>>();
  private readonly recordedByBlock = new Map<string, Map<string, CalicoRecord>>();

  /**
   * The Service holding the address: one lbipam serves, else one it does not
   * manage that shows it, else the one a Calico block records it for.
   */
  holderOf(address: Address): string | undefined {
    const at = addressKey(address);
    return (
      this.holders[address.family].get(at) ??
      this.foreignHolders[address.family].get(at) ??
      this.recorded[address.family].get(at)?.[0]?.service
    );
  }

  /**
   * holderOf as Service `key` sees it: what it shows while unmanaged is
   * nobody's, and so is what a Calico block records for it when `handle`
   * (calicoServiceHandle of this Service) is the block's. A Calico record of
   * another Service, or of an earlier Service of the same name, makes the
   * address that one's whoever holds it: never this Service's.
   */
  holderSeenBy(key: string, handle?: string): (address: Address) => string | undefined {
    return (address) => {
      const at = addressKey(address);
      const records = this.recorded[address.family].get(at);
      const recordedFor = records && recordedAgainst(records, key, handle);
      if (recordedFor !== undefined) return recordedFor;
      const holder = this.holders[address.family].get(at);
      if (holder !== undefined) return this.sharers[address.family].get(at)?.includes(key) ? key : holder;
      const foreign = this.foreignHolders[address.family].get(at);
      return foreign === key ? undefined : foreign;
    };
  }

  /** True when a Service lbipam serves holds the address (alone or shared). */
  isHeld(address: Address): boolean {
    return this.holders[address.family].has(addressKey(address));
  }

  membersOf(address: Address): SharingMember[] {
    const at = addressKey(address);
    const first = this.holders[address.family].get(at);
    if (first === undefined) return [];
    const keys = [first, ...(this.sharers[address.family].get(at) ?? [])];
    return keys.map((service) => ({ service, profile: this.profiles.get(service) }));
  }

  *addressesOfKey(sharingKey: string): IterableIterator<Address> {
    for (const service of eachMember(this.bySharingKey.get(sharingKey))) yield* this.holdings(service);
  }

  /** Records the Service's sharing profile (undefined: it has no sharing key). */
  setProfile(key: string, profile: SharingProfile | undefined): void {
    const before = this.profiles.get(key);
    if (before !== undefined && before.key !== profile?.key) {
      const members = this.bySharingKey.get(before.key);
      const left = members && withoutMember(members, key);
      if (left === undefined) this.bySharingKey.delete(before.key);
      else this.bySharingKey.set(before.key, left);
    }
    if (profile === undefined) {
      this.profiles.delete(key);
      return;
    }
    this.profiles.set(key, profile);
    this.bySharingKey.set(profile.key, withMember(this.bySharingKey.get(profile.key), key));
  }

  profileOf(key: string): SharingProfile | undefined {
    return this.profiles.get(key);
  }

  /** True when the holder of the address is a Service lbipam does not manage. */
  isForeign(address: Address): boolean {
    const at = addressKey(address);
    return !this.holders[address.family].has(at) && this.foreignHolders[address.family].has(at);
  }

  holdings(key: string): readonly Holding[] {
    return this.byKey.get(key) ?? [];
  }

  /**
   * Records that `key` holds the address; false if another key already does
   * (true if `key` is among the members of a shared one). `text` is its
   * canonical form, when known.
   */
  hold(key: string, address: Address, text = formatAddress(address.family, address.value)): boolean {
    const at = addressKey(address);
    const holder = this.holders[address.family].get(at);
    if (holder !== undefined) return holder === key || this.isSharer(key, address);
    if (this.foreignHolders[address.family].has(at) || this.recordedForOther(key, address)) return false;
    this.holders[address.family].set(at, key);
    this.addHolding(key, { family: address.family, value: address.value, text });
    return true;
  }

  /**
   * Records that `key` shares an address a Service lbipam serves holds
   * already; false when nobody (or only an unmanaged Service) holds it. Who
   * may share is the decision's question (whyCannotJoin), not the ledger's.
   */
  share(key: string, address: Address, text = formatAddress(address.family, address.value)): boolean {
    const at = addressKey(address);
    const holder = this.holders[address.family].get(at);
    if (holder === undefined) return false;
    if (holder === key || this.isSharer(key, address)) return true;
    // An address a Calico block records is that one Service's: never shared with another.
    if (this.recordedForOther(key, address)) return false;
    const sharers = this.sharers[address.family].get(at) ?? [];
    sharers.push(key);
    this.sharers[address.family].set(at, sharers);
    this.addHolding(key, { family: address.family, value: address.value, text });
    return true;
  }

  private isSharer(key: string, address: Address): boolean {
    return this.sharers[address.family].get(addressKey(address))?.includes(key) ?? false;
  }

  private addHolding(key: string, holding: Holding): void {
    const list = this.byKey.get(key) ?? [];
    list.push(holding);
    this.byKey.set(key, list);
  }

  /**
   * Forgets that `key` holds the address; false if it did not. A shared
   * address stays held by the other members (the first to join becomes its
   * first holder): isHeld says whether it may go back to its pool.
   */
  release(key: string, address: Address): boolean {
    const at = addressKey(address);
    const first = this.holders[address.family].get(at);
    const sharers = this.sharers[address.family].get(at);
    if (first === key) {
      const next = sharers?.shift();
      if (next === undefined) this.holders[address.family].delete(at);
      else this.holders[address.family].set(at, next);
    } else {
      const index = sharers?.indexOf(key) ?? -1;
      if (index < 0) return false;
      sharers!.splice(index, 1);
    }
    if (sharers?.length === 0) this.sharers[address.family].delete(at);
    const rest = (this.byKey.get(key) ?? []).filter(
      (h) => h.family !== address.family || h.value !== address.value,
    );
    if (rest.length > 0) this.byKey.set(key, rest);
    else this.byKey.delete(key);
    return true;
  }

  /**
   * Records that a Service lbipam does not manage shows the address; false
   * if any Service (served or not) holds it already.
   */
  holdForeign(key: string, address: Address, text = formatAddress(address.family, address.value)): boolean {
    const at = addressKey(address);
    if (this.holders[address.family].has(at) || this.foreignHolders[address.family].has(at)) {
      return this.foreignHolders[address.family].get(at) === key;
    }
    this.foreignHolders[address.family].set(at, key);
    const list = this.foreignByKey.get(key) ?? [];
    list.push({ family: address.family, value: address.value, text });
    this.foreignByKey.set(key, list);
    return true;
  }

  /** Forgets every address the (unmanaged) Service shows; returns them. */
  dropForeign(key: string): Holding[] {
    const list = this.foreignByKey.get(key) ?? [];
    this.foreignByKey.delete(key);
    for (const holding of list) this.foreignHolders[holding.family].delete(addressKey(holding));
    return list;
  }

  foreignHoldings(key: string): readonly Holding[] {
    return this.foreignByKey.get(key) ?? [];
  }

  /** Every foreign address, with the Service showing it. */
  *foreign(): IterableIterator<{ key: string; holding: Holding }> {
    for (const [key, list] of this.foreignByKey) for (const holding of list) yield { key, holding };
  }

  keys(): IterableIterator<string> {
    return this.byKey.keys();
  }

  /** Records that a Calico block names the address's Service (in place of that block's earlier record of it). */
  record(record: CalicoRecord): void {
    // The block's earlier record of the address may name another Service: out of its index too.
    this.unrecord(record);
    const at = addressKey(record.address);
    const list = [...(this.recorded[record.address.family].get(at) ?? []), record];
    this.recorded[record.address.family].set(at, list);
    const id = recordId(record);
    for (const [index, key] of [
      [this.recordedByService, record.service],
      [this.recordedByBlock, record.block],
    ] as const) {
      const records = index.get(key) ?? new Map<string, CalicoRecord>();
      records.set(id, record);
      index.set(key, records);
    }
  }

  /** Forgets one block's record of an address; false if that block did not record it. */
  unrecord(record: CalicoRecord): boolean {
    const at = addressKey(record.address);
    const list = this.recorded[record.address.family].get(at);
    const mine = list?.find((r) => r.block === record.block);
    if (!list || !mine) return false;
    const rest = list.filter((r) => r !== mine);
    if (rest.length > 0) this.recorded[record.address.family].set(at, rest);
    else this.recorded[record.address.family].delete(at);
    const id = recordId(mine);
    for (const [index, key] of [
      [this.recordedByService, mine.service],
      [this.recordedByBlock, mine.block],
    ] as const) {
      const records = index.get(key);
      records?.delete(id);
      if (records?.size === 0) index.delete(key);
    }
    return true;
  }

  /** What Calico's blocks record of the address (normally one record, or none). */
  recordsAt(address: Address): readonly CalicoRecord[] {
    return this.recorded[address.family].get(addressKey(address)) ?? [];
  }

  /** The Service every Calico record of the address names, if there are records and they agree. */
  recordedFor(address: Address): string | undefined {
    const records = this.recordsAt(address);
    const first = records[0]?.service;
    return records.every((r) => r.service === first) ? first : undefined;
  }

  /** True when a Calico block records the address for a Service other than `key`. */
  private recordedForOther(key: string, address: Address): boolean {
    return this.recordsAt(address).some((r) => r.service !== key);
  }

  /** True when Calico's blocks record anything for the Service `key`: its decision needs its handle. */
  hasRecordsFor(key: string): boolean {
    return this.recordedByService.has(key);
  }

  /** What Calico's blocks record for the Service `key` (of whichever handle). */
  recordsFor(key: string): CalicoRecord[] {
    return [...(this.recordedByService.get(key)?.values() ?? [])];
  }

  /** What one Calico block object records. */
  recordsInBlock(block: string): CalicoRecord[] {
    return [...(this.recordedByBlock.get(block)?.values() ?? [])];
  }

  *records(): IterableIterator<CalicoRecord> {
    for (const records of this.recordedByBlock.values()) yield* records.values();
  }

  /** True while the address may not go back to its pool: a Service lbipam serves holds it, or a Calico block records it. */
  keepsClaim(address: Address): boolean {
    return this.isHeld(address) || this.recorded[address.family].has(addressKey(address));
  }

  /** Addresses held for Services lbipam serves (foreign ones not counted). */
  get size(): number {
    return this.holders[4].size + this.holders[6].size;
  }
}
