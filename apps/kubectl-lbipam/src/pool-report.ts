// `kubectl lbipam pools`: one row per LoadBalancer pool, computed from the
// rebuilt state (not from the pools' status), so it is right even when the
// controller has not written status.
import { cidrSize, formatCidr } from "@lbipam/allocator";
import { exactCount, listSome, poolCondition } from "@lbipam/api";
import { foreignByPool, recordedByPool } from "@lbipam/state";
import { renderTable } from "./output.js";
import type { ClusterState } from "./state.js";

export interface PoolRow {
  name: string;
  family: "IPv4" | "IPv6" | null;
  /** The canonical CIDR, or spec.cidr as written when it is unusable. */
  cidr: string;
  mode: string;
  disabled: boolean;
  allocatable: boolean;
  /** The Allocatable condition's reason and message. */
  reason: string;
  message: string;
  namespaceSelector: string | null;
  /** Counts are decimal strings past 2^53 - 1 (an IPv6 /64), numbers otherwise. */
  total: number | string;
  allocated: number;
  reserved: number | string;
  free: number | string;
  /** allocated / total, in percent (the unit in the name, as Kubernetes names fields). */
  utilisationPercent: number;
  /** Addresses shown by Services lbipam does not manage (counted in allocated), with the Service. */
  foreign: { address: string; service: string }[];
  /**
   * Addresses a Calico IPAM block records that no Service lbipam serves holds
   * (counted in allocated): `serviceExists` false when no Service of that
   * name and UID exists, so only cleaning the block frees the address.
   */
  calicoBlocks: { address: string; service: string; block: string; serviceExists: boolean }[];
}

export function poolRows(
  state: ClusterState,
  specs: ReadonlyMap<string, { cidr?: unknown; namespaceSelector?: unknown }>,
): PoolRow[] {
  const rows: PoolRow[] = [];
  const foreign = foreignByPool(state.ledger, state.poolSet);
  const recorded = recordedByPool(state.ledger, state.poolSet);
  const names = [...state.views.keys()].sort();
  for (const name of names) {
    const view = state.views.get(name)!;
    if (!view.loadBalancer) continue;
    const condition = poolCondition(view, { overlappedBy: state.poolSet.overlappedBy(name) });
    const counts = state.poolSet.get(name)?.counts();
    const total = view.cidr ? cidrSize(view.cidr) : 0n;
    const allocated = counts?.allocated ?? 0;
    const reserved = counts?.reserved ?? 0n;
    const free = counts?.free ?? total;
    const spec = specs.get(name);
    const selector = spec?.namespaceSelector;
    rows.push({
      name,
      family: view.family === 4 ? "IPv4" : view.family === 6 ? "IPv6" : null,
      cidr: view.cidr ? formatCidr(view.cidr) : String(spec?.cidr ?? ""),
      mode: view.mode,
      disabled: view.disabled,
      allocatable: condition.status === "True",
      reason: condition.reason,
      message: condition.message,
      namespaceSelector: typeof selector === "string" && selector.trim() !== "" ? selector : null,
      total: exactCount(total),
      allocated,
      reserved: exactCount(reserved),
      free: exactCount(free),
      utilisationPercent: total === 0n ? 0 : Number(((allocated / Number(total)) * 100).toPrecision(6)),
      foreign: foreign.get(name) ?? [],
      calicoBlocks: (recorded.get(name) ?? []).map(({ address, service, handle, block }) => ({
        address,
        service,
        block,
        serviceExists: state.calicoHandles.has(`${service} ${handle}`),
      })),
    });
  }
  return rows;
}

const BAR_WIDTH = 20;

/** `[###---..........]`: allocated (#), reserved and unallocated (-), free (.). */
export function utilisationBar(row: Pick<PoolRow, "total" | "allocated" | "reserved">): string {
  const total = BigInt(row.total);
  if (total === 0n) return `[${" ".repeat(BAR_WIDTH)}]`;
  const cells = (count: number | string) => Number((BigInt(count) * BigInt(BAR_WIDTH) + total - 1n) / total);
  const used = Math.min(BAR_WIDTH, cells(row.allocated));
  const reserved = Math.min(BAR_WIDTH - used, cells(row.reserved));
  return `[${"#".repeat(used)}${"-".repeat(reserved)}${".".repeat(BAR_WIDTH - used - reserved)}]`;
}

export function formatPercent(value: number): string {
  if (value > 0 && value < 0.1) return "<0.1%";
  return `${value.toFixed(1)}%`;
}

/** The pools as a table; `wide` adds the namespace selector and the addresses held for others. */
export function renderPoolTable(rows: PoolRow[], wide = false): string {
  if (rows.length === 0) return "No LoadBalancer pools found.\n";
  return renderTable(
    [
      "NAME",
      "FAMILY",
      "CIDR",
      "MODE",
      "DISABLED",
      "ALLOCATABLE",
      "ALLOCATED",
      "TOTAL",
      "RESERVED",
      "FREE",
      "USAGE",
      ...(wide ? ["NAMESPACE-SELECTOR", "HELD-FOR-OTHERS"] : []),
    ],
    rows.map((row) => [
      row.name,
      row.family ?? "-",
      row.cidr,
      row.mode,
      String(row.disabled),
      row.allocatable ? "True" : `False (${row.reason})`,
      String(row.allocated),
      String(row.total),
      String(row.reserved),
      String(row.free),
      `${utilisationBar(row)} ${formatPercent(row.utilisationPercent)}`,
      ...(wide
        ? [row.namespaceSelector ?? "<all>", String(row.foreign.length + row.calicoBlocks.length)]
        : []),
    ]),
  );
}

/**
 * One line per pool that hands out nothing, with the Allocatable condition's
 * message, one per pool with addresses held for Services lbipam does not
 * manage, and one per pool with addresses Calico's IPAM blocks hold.
 */
export function renderPoolNotes(rows: PoolRow[]): string {
  const notes = rows.flatMap((row) => [
    ...(row.allocatable ? [] : [`pool ${row.name} is not allocatable (${row.reason}): ${row.message}\n`]),
    ...(row.foreign.length === 0
      ? []
      : [
          `pool ${row.name}: held for Services lbipam does not manage: ${listSome(
            row.foreign.map((f) => `${f.address} (Service ${f.service})`),
          )}\n`,
        ]),
    ...(row.calicoBlocks.length === 0
      ? []
      : [
          `pool ${row.name}: held by Calico IPAM blocks: ${listSome(
            row.calicoBlocks.map(
              (b) =>
                `${b.address} (block ${b.block}, ${b.serviceExists ? `for Service ${b.service}` : `Service ${b.service} is gone: a Calico block with no Service`})`,
            ),
          )}\n`,
        ]),
  ]);
  return notes.length > 0 ? `\n${notes.join("")}` : "";
}
