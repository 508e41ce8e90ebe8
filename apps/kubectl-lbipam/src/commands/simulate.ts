import type { IPFamily } from "@lbipam/api";
import { UsageError } from "../errors.js";
import { readManifests } from "../manifests.js";
import { missingNamespacesProblem } from "../missing-namespaces.js";
import { OUTPUT_HELP, outputFormat, print } from "../output.js";
import { simulate } from "../simulate.js";
import { configurationLine, renderSimulation } from "../simulation-report.js";
import { type Command, stringFlag, stringList } from "./command.js";

function count(value: string | undefined): number {
  if (value === undefined) return 0;
  if (!/^\d+$/.test(value)) throw new UsageError(`--add-services: "${value}" is not a non-negative integer`);
  const n = Number(value);
  if (n > 100_000) throw new UsageError(`--add-services: at most 100000, got ${value}`);
  return n;
}

function families(value: string | undefined): IPFamily[] {
  if (value === undefined) return ["IPv4"];
  const list = value.split(",").map((f) => f.trim());
  const valid = list.length > 0 && list.length <= 2 && new Set(list).size === list.length;
  if (!valid || list.some((f) => f !== "IPv4" && f !== "IPv6")) {
    throw new UsageError(`--add-ip-families: "${value}" must be IPv4, IPv6, IPv4,IPv6 or IPv6,IPv4`);
  }
  return list as IPFamily[];
}

export const simulateCommand: Command = {
  summary: "offline: which Service would get which address, which would wait, how full each pool would be",
  usage: `Runs the controller's policy offline (no cluster) over IPPools, IPReservations,
Namespaces, the KubeControllersConfiguration "default" and Services read from files.
Addresses in the Services' status are held first, as the controller does at start;
then every Service is reconciled oldest first (creationTimestamp; Services without
one come after, in the order given) with the allocator and the controller's decision
function, until nothing changes.

Usage:
  kubectl lbipam simulate -f pools.yaml -f services.yaml [--delete-pool NAME] [--add-services N]

Flags:
  -f, --filename FILE|DIR          manifests (YAML or JSON, multi-document or a List; - for stdin; a directory's
                                   .json, .yaml and .yml files); repeatable
  -R, --recursive                  with -f DIR, read its subdirectories too
      --delete-pool NAME           delete this IPPool before reconciling (repeatable): its Services move or wait
      --add-services N             add N plain LoadBalancer Services (simulated-1...), created last
      --add-namespace NAME         the namespace of the added Services (default "default")
      --add-ip-families LIST       IPv4 (default), IPv6, or IPv4,IPv6 (PreferDualStack) for the added Services
      --load-balancer-class NAME   the controller's spec.loadBalancerClass (default "calico")
${OUTPUT_HELP}
`,
  options: {
    filename: { type: "string", short: "f", multiple: true },
    recursive: { type: "boolean", short: "R" },
    "delete-pool": { type: "string", multiple: true },
    "add-services": { type: "string" },
    "add-namespace": { type: "string" },
    "add-ip-families": { type: "string" },
    "load-balancer-class": { type: "string" },
    output: { type: "string", short: "o" },
  },
  async run(values, positionals, io) {
    if (positionals.length > 0) {
      throw new UsageError(`simulate takes no arguments (files go with -f), got "${positionals.join(" ")}"`);
    }
    const files = stringList(values, "filename");
    if (files.length === 0) throw new UsageError("simulate needs at least one -f FILE");
    const format = outputFormat(stringFlag(values, "output"));
    const options = {
      deletePools: stringList(values, "delete-pool"),
      addServices: count(stringFlag(values, "add-services")),
      addNamespace: stringFlag(values, "add-namespace") ?? "default",
      addFamilies: families(stringFlag(values, "add-ip-families")),
      loadBalancerClass: stringFlag(values, "load-balancer-class"),
    };
    const { objects, ignored } = readManifests(files, values.recursive === true);
    for (const line of ignored) io.stderr(`warning: ignored ${line}\n`);
    const result = simulate(objects, options);
    // Also among the result's problems; on stderr too, so it is seen whatever -o prints.
    const missing = missingNamespacesProblem(objects, options);
    if (missing) io.stderr(`warning: ${missing}\n`);
    // Under RequestedServicesOnly the controller leaves plain Services alone: a guess here misleads.
    if (result.configuration.source === "assumed")
      io.stderr(`warning: ${configurationLine(result.configuration)}\n`);
    io.stdout(
      print(format, {
        document: result,
        items: result.services,
        names: result.services.map(
          (service) => `service/${service.service.slice(service.service.indexOf("/") + 1)}`,
        ),
        table: (wide) => renderSimulation(result, wide),
      }),
    );
    return 0;
  },
};
