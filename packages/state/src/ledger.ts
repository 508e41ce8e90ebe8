// Who holds which address: the controller's own record, which outlives a
// failed status write (so an address given to a Service is never given to
// another while the write is retried) and is rebuilt from Services' status
// at start.
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

  holderOf(address: Address): string | undefined {
    return this.holders[address.family].get(addressKey(address));
  }

  holdings(key: string): readonly Holding[] {
    return this.byKey.get(key) ?? [];
  }

  /** Records that `key` holds the address; false if another key already does. `text` is its canonical form, when known. */
  hold(key: string, address: Address, text = formatAddress(address.family, address.value)): boolean {
    const at = addressKey(address);
    const holder = this.holders[address.family].get(at);
    if (holder !== undefined) return holder === key;
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

  keys(): IterableIterator<string> {
    return this.byKey.keys();
  }

  get size(): number {
    return this.holders[4].size + this.holders[6].size;
  }
}
