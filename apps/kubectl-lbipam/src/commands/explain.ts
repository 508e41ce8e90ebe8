import { UsageError } from "../errors.js";
import { explainService, renderExplanation } from "../explain.js";
import { outputFormat, serialize } from "../output.js";
import { buildState } from "../state.js";
import { CONNECTION_HELP, CONNECTION_OPTIONS, type Command, stringFlag, warnAboutState } from "./command.js";

export const explainCommand: Command = {
  summary: "why a Service has its addresses, or why it waits, and what would unblock it",
  usage: `Why a Service has the addresses it has, or why it is waiting: the request as parsed
from its annotations and spec, each LoadBalancer pool and why it was or was not used,
the decision per family (keep / claim / allocate / wait, with the reason) from the
same decision function the controller runs, and what would unblock it.

Usage:
  kubectl lbipam explain SERVICE [-n NAMESPACE] [-o table|json|yaml] [flags]

Flags:
  -o, --output FORMAT              text (default), json or yaml
  -h, --help                       this help

${CONNECTION_HELP}`,
  options: { ...CONNECTION_OPTIONS, output: { type: "string", short: "o" } },
  async run(values, positionals, io) {
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0
          ? "explain needs the name of a Service"
          : `explain takes one Service, got "${positionals.join(" ")}"`,
      );
    }
    let name = positionals[0]!;
    if (name.startsWith("service/") || name.startsWith("services/") || name.startsWith("svc/")) {
      name = name.slice(name.indexOf("/") + 1);
    }
    const format = outputFormat(stringFlag(values, "output"));
    // client-node takes a second to load: only the commands that talk to a cluster pay for it.
    const { ClusterReader, connect } = await import("../cluster.js");
    const connection = connect({
      kubeconfig: stringFlag(values, "kubeconfig"),
      context: stringFlag(values, "context"),
      namespace: stringFlag(values, "namespace"),
    });
    const reader = new ClusterReader(connection);
    const objects = await reader.objects([connection.namespace]);
    const service = await reader.service(connection.namespace, name);
    const state = buildState(objects, { loadBalancerClass: stringFlag(values, "load-balancer-class") });
    warnAboutState(state, io);
    const explanation = explainService(state, service);
    io.stdout(format === "table" ? renderExplanation(explanation) : serialize(explanation, format));
    return 0;
  },
};
