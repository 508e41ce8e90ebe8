// The KubeControllersConfiguration named "default": read live, created when
// missing (so the upstream `kubectl patch ... default` works on a fresh
// install), and its status.runningConfig kept equal to what is in force.
import {
  API_VERSION,
  type AssignIPs,
  DEFAULT_CONFIGURATION_NAME,
  type KubeControllersConfiguration,
  readLoadBalancerConfig,
} from "@lbipam/api";
import { ApiRequestError } from "../errors.js";
import type { ClusterWriter } from "./cluster-writer.js";
import type { ReadCache } from "./read-cache.js";
import { sameJson } from "./same-json.js";

export interface ConfigLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export const CONFIG_PLURAL = "kubecontrollersconfigurations";

export class ConfigSync {
  private current: AssignIPs | undefined;

  /**
   * `owns`: false in a Calico cluster, where the configuration is Calico's
   * kube-controllers': read it, never create it or write its status.
   */
  constructor(
    private readonly configs: ReadCache<KubeControllersConfiguration>,
    private readonly writer: ClusterWriter,
    private readonly logger: ConfigLogger,
    private readonly owns = true,
  ) {}

  get assignIPs(): AssignIPs {
    return this.current ?? "AllServices";
  }

  /** Re-reads the configuration; true when the mode in force changed. */
  async sync(): Promise<boolean> {
    const object = this.configs.get(DEFAULT_CONFIGURATION_NAME);
    const config = readLoadBalancerConfig(object);
    for (const problem of config.problems)
      this.logger.warn({ configuration: DEFAULT_CONFIGURATION_NAME }, problem);
    const changed = this.current !== undefined && this.current !== config.assignIPs;
    if (this.current !== config.assignIPs) {
      this.logger.info({ assignIPs: config.assignIPs }, "load balancer configuration in force");
    }
    this.current = config.assignIPs;
    if (!this.owns) return changed;
    if (!object) {
      await this.createDefault();
      return changed;
    }
    const runningConfig = { controllers: { loadBalancer: { assignIPs: config.assignIPs } } };
    const status = (object as { status?: { runningConfig?: unknown } }).status;
    if (!sameJson(status?.runningConfig, runningConfig)) {
      await this.writer.patchClusterObjectStatus(CONFIG_PLURAL, DEFAULT_CONFIGURATION_NAME, {
        runningConfig,
      });
    }
    return changed;
  }

  private async createDefault(): Promise<void> {
    try {
      await this.writer.createClusterObject(CONFIG_PLURAL, {
        apiVersion: API_VERSION,
        kind: "KubeControllersConfiguration",
        metadata: { name: DEFAULT_CONFIGURATION_NAME },
        // An empty section means AllServices. Writing assignIPs here would leave two keys
        // that disagree once a user applies the upstream patch, which spells it AssignIPs.
        spec: { controllers: { loadBalancer: {} } },
      });
      this.logger.info({ configuration: DEFAULT_CONFIGURATION_NAME }, "created the default configuration");
    } catch (error) {
      // Someone created it first: the informer brings it.
      if (!(error instanceof ApiRequestError && error.conflict)) throw error;
    }
  }
}
