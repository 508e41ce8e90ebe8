// Who holds which address, as the controller's ledger would after a rebuild:
// keyed by family and value, answering with the Service's `namespace/name`.
import type { Address, Family } from "@lbipam/allocator";

export class Holders {
  private readonly byAddress: Record<Family, Map<bigint, string>> = { 4: new Map(), 6: new Map() };

  holderOf(address: Address): string | undefined {
    return this.byAddress[address.family].get(address.value);
  }

  /** Records that `key` holds the address; false if another key already does. */
  hold(key: string, address: Address): boolean {
    const holder = this.byAddress[address.family].get(address.value);
    if (holder !== undefined) return holder === key;
    this.byAddress[address.family].set(address.value, key);
    return true;
  }

  /** Forgets that `key` holds the address; false if it did not. */
  release(key: string, address: Address): boolean {
    if (this.byAddress[address.family].get(address.value) !== key) return false;
    this.byAddress[address.family].delete(address.value);
    return true;
  }
}
