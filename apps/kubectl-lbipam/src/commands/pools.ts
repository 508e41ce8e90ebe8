import { UsageError } from "../errors.js";
import { OUTPUT_HELP, outputFormat, print } from "../output.js";
import { poolRows, renderPoolNotes, renderPoolTable } from "../pool-report.js";
import { buildState } from "../state.js";
import { CONNECTION_HELP, CONNECTION_OPTIONS, type Command, stringFlag, warnAboutState } from "./command.js";

export const poolsCommand: Command = {
  summary: "every LoadBalancer pool with its use, computed as the controller does",
  usage: `Every LoadBalancer IPPool: family, CIDR, mode, disabled, allocatable (and why not),
addresses allocated / total / reserved / free and a utilisation bar. Counts come from
the IPPools, IPReservations and the Services' status, as the controller computes
them, so they are right even before the controller writes the pools' status.

Usage:
  kubectl lbipam pools [-o FORMAT] [flags]

Flags:
${OUTPUT_HELP}

${CONNECTION_HELP}`,
  options: { ...CONNECTION_OPTIONS, output: { type: "string", short: "o" } },
  async run(values, positionals, io) {
    if (positionals.length > 0)
      throw new UsageError(`pools takes no arguments, got "${positionals.join(" ")}"`);
    const format = outputFormat(stringFlag(values, "output"));
    // client-node takes a second to load: only the commands that talk to a cluster pay for it.
    const { ClusterReader, connect } = await import("../cluster.js");
    const connection = connect({
      kubeconfig: stringFlag(values, "kubeconfig"),
      context: stringFlag(values, "context"),
      namespace: stringFlag(values, "namespace"),
    });
    const reader = new ClusterReader(connection);
    const objects = await reader.objects();
    const shape = await reader.shape();
    if (reader.shapeProblem) io.stderr(`warning: ${reader.shapeProblem}\n`);
    if (shape.warning) io.stderr(`warning: ${shape.warning}\n`);
    const ipamBlocks = shape.blocks ? `ipamblocks.${shape.blocks.group}/${shape.blocks.version}` : null;
    const cluster = {
      shape: shape.shape,
      api: `${shape.group}/${shape.version}`,
      ipamBlocks,
      message: shape.message,
    };
    const state = buildState(objects, {
      loadBalancerClass: stringFlag(values, "load-balancer-class"),
      ownsConfiguration: shape.ownsCalicoObjects,
    });
    warnAboutState(state, io);
    const specs = new Map(objects.pools.map((pool) => [pool.metadata.name ?? "", pool.spec ?? {}]));
    const rows = poolRows(state, specs);
    io.stdout(
      print(format, {
        document: { cluster, pools: rows },
        items: rows,
        names: rows.map((row) => `ippool.projectcalico.org/${row.name}`),
        table: (wide) =>
          `${renderPoolTable(rows, wide)}${renderPoolNotes(rows)}\ncluster ${cluster.shape}: ${cluster.message}${ipamBlocks ? `; reads Calico's IPAM blocks in ${ipamBlocks}` : ""}\n`,
      }),
    );
    return 0;
  },
};
