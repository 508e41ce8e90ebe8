// Who holds which address: the controller's own record, which outlives a
// failed status write (so an address given to a Service is never given to
// another while the write is retried) and is rebuilt from Services' status
// at start. Beside it, the addresses shown by Services lbipam does not
// manage ("foreign"): never given to anyone, never released by lbipam.
import { type Address, type Family, formatAddress } from "@lbipam/allocator";

export interface Holding {
  family: Family;
  value: bigint;
  text: string;
}

/** IPv4 addresses are keyed as numbers: a Map hashes them much faster than bigints. */
type AddressKey = number | bigint;

const addressKey = (address: Address): AddressKey =>
  address.family === 4 ? Number(address.value) : address.value;

export class Ledger {
  private readonly holders: Record<Family, Map<AddressKey, string>> = { 4: new Map(), 6: new Map() };
  private readonly byKey = new Map<string, Holding[]>();
  private readonly foreignHolders: Record<Family, Map<AddressKey, string>> = { 4: new Map(), 6: new Map() };
  private readonly foreignByKey = new Map<string, Holding[]>();

  /** The Service holding the address: one lbipam serves, else one it does not manage that shows it. */
  holderOf(address: Address): string | undefined {
    const at = addressKey(address);
    return this.holders[address.family].get(at) ?? this.foreignHolders[address.family].get(at);
  }

  /**
   * holderOf as Service `key` sees it: what it shows while unmanaged is
   * nobody's, so deciding for it neither releases nor refuses those addresses.
   */
  holderSeenBy(key: string): (address: Address) => string | undefined {
    return (address) => {
      const holder = this.holderOf(address);
      return holder === key && this.isForeign(address) ? undefined : holder;
    };
  }

  /** True when the holder of the address is a Service lbipam does not manage. */
  isForeign(address: Address): boolean {
    const at = addressKey(address);
    return !this.holders[address.family].has(at) && this.foreignHolders[address.family].has(at);
  }

  holdings(key: string): readonly Holding[] {
    return this.byKey.get(key) ?? [];
  }

  /** Records that `key` holds the address; false if another key already does. `text` is its canonical form, when known. */
  hold(key: string, address: Address, text = formatAddress(address.family, address.value)): boolean {
    const at = addressKey(address);
    const holder = this.holders[address.family].get(at);
    if (holder !== undefined) return holder === key;
    if (this.foreignHolders[address.family].has(at)) return false;
    this.holders[address.family].set(at, key);
    const list = this.byKey.get(key) ?? [];
    list.push({ family: address.family, value: address.value, text });
    this.byKey.set(key, list);
    return true;
  }

  /** Forgets that `key` holds the address; false if it did not. */
  release(key: string, address: Address): boolean {
    const at = addressKey(address);
    if (this.holders[address.family].get(at) !== key) return false;
    this.holders[address.family].delete(at);
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

  /** Addresses held for Services lbipam serves (foreign ones not counted). */
  get size(): number {
    return this.holders[4].size + this.holders[6].size;
  }
}
