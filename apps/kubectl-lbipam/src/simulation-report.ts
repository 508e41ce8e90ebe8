// The text form of a simulation: Services, then pools, then problems.
import { listSome } from "@lbipam/api";
import { renderTable } from "./output.js";
import { renderPoolNotes, renderPoolTable } from "./pool-report.js";
import type { SimulatedConfiguration, SimulationResult } from "./simulate.js";

/** Which assignIPs the simulation used, and where it came from. */
export function configurationLine(configuration: SimulatedConfiguration): string {
  return configuration.source === "file"
    ? `assignIPs: ${configuration.assignIPs} (KubeControllersConfiguration "default" from the files)`
    : `assignIPs: ${configuration.assignIPs} (assumed: no KubeControllersConfiguration "default" in the files; add it with kubectl get kubecontrollersconfiguration default -o yaml)`;
}

export function renderSimulation(result: SimulationResult, wide = false): string {
  const services =
    result.services.length === 0
      ? "No Services given.\n"
      : renderTable(
          ["SERVICE", "ADDRESSES", "BEFORE", "OUTCOME", "REASON", "MESSAGE"],
          result.services.map((s) => [
            s.service,
            s.addresses.join(",") || "<pending>",
            s.before.join(",") || "-",
            s.outcome,
            s.reason ?? "-",
            s.message ?? "",
          ]),
        );
  const counts = new Map<string, number>();
  for (const s of result.services) counts.set(s.outcome, (counts.get(s.outcome) ?? 0) + 1);
  const summary = [...counts].map(([outcome, n]) => `${n} ${outcome}`).join(", ");
  const problems = result.problems.map((p) => `problem: ${p}\n`).join("");
  const shared = result.shared
    .map(
      ({ address, key, services }) =>
        `${address} shared by ${listSome(services, ", ")} (sharing key ${JSON.stringify(key)})\n`,
    )
    .join("");
  return `${configurationLine(result.configuration)}\n\n${services}${summary ? `\n${summary}\n` : ""}${shared ? `\n${shared}` : ""}\n${renderPoolTable(result.pools, wide)}${renderPoolNotes(result.pools)}${problems ? `\n${problems}` : ""}`;
}
