import { UsageError } from "../errors.js";
import { explainService, renderExplanation } from "../explain.js";
import { OUTPUT_HELP, outputFormat, print } from "../output.js";
import { buildState } from "../state.js";
import { CONNECTION_HELP, CONNECTION_OPTIONS, type Command, stringFlag, warnAboutState } from "./command.js";

const SERVICE_PREFIXES = ["svc/", "service/", "services/"];

/**
 * NAME, svc/NAME (kubectl's TYPE/NAME) or NAMESPACE/NAME (as `kubectl lbipam
 * explain` prints a Service); a namespace in both the argument and -n must agree.
 */
export function serviceArgument(
  argument: string,
  namespaceFlag: string | undefined,
): { namespace?: string; name: string } {
  const prefix = SERVICE_PREFIXES.find((p) => argument.startsWith(p));
  const rest = prefix ? argument.slice(prefix.length) : argument;
  const parts = rest.split("/");
  if (parts.length === 1 && parts[0] !== "") return { namespace: namespaceFlag, name: rest };
  if (parts.length === 2 && !prefix && parts[0] !== "" && parts[1] !== "") {
    const [namespace, name] = parts as [string, string];
    if (namespaceFlag !== undefined && namespaceFlag !== namespace) {
      throw new UsageError(`"${argument}" names namespace ${namespace}, but -n says ${namespaceFlag}`);
    }
    return { namespace, name };
  }
  throw new UsageError(`"${argument}" is not a Service: give NAME, svc/NAME or NAMESPACE/NAME`);
}

export const explainCommand: Command = {
  summary: "why a Service has its addresses, or why it waits, and what would unblock it",
  usage: `Why a Service has the addresses it has, or why it is waiting: the request as parsed
from its annotations and spec, each LoadBalancer pool and why it was or was not used,
the decision per family (keep / claim / allocate / wait, with the reason) from the
same decision function the controller runs, and what would unblock it.

Usage:
  kubectl lbipam explain SERVICE [-n NAMESPACE] [-o FORMAT] [flags]

SERVICE is NAME, svc/NAME (also service/, services/) or NAMESPACE/NAME.

Flags:
${OUTPUT_HELP}

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
    const { namespace, name } = serviceArgument(positionals[0]!, stringFlag(values, "namespace"));
    const format = outputFormat(stringFlag(values, "output"));
    // client-node takes a second to load: only the commands that talk to a cluster pay for it.
    const { ClusterReader, connect } = await import("../cluster.js");
    const connection = connect({
      kubeconfig: stringFlag(values, "kubeconfig"),
      context: stringFlag(values, "context"),
      namespace,
    });
    const reader = new ClusterReader(connection);
    const objects = await reader.objects([connection.namespace]);
    const service = await reader.service(connection.namespace, name);
    const shape = await reader.shape();
    const state = buildState(objects, {
      loadBalancerClass: stringFlag(values, "load-balancer-class"),
      ownsConfiguration: shape.ownsCalicoObjects,
    });
    warnAboutState(state, io);
    const explanation = explainService(state, service);
    io.stdout(
      print(format, {
        document: explanation,
        items: [explanation],
        names: [`service/${name}`],
        table: () => renderExplanation(explanation),
      }),
    );
    return 0;
  },
};
