// Calico's CRDs as the tests emulate a Calico cluster on the embedded API server:
// its v1 CRDs (written from Calico's published field names in
// test/fixtures/calico-v1-crds), and its native v3 CRDs.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { crdDirectory } from "./cluster.js";

export const calicoV1Crds = fileURLToPath(new URL("../../../test/fixtures/calico-v1-crds", import.meta.url));

/**
 * lbipam's CRDs as Calico's native v3 ones would be: the same names, without
 * lbipam's label; and Calico's IPAMBlock CRD served in projectcalico.org/v3
 * (lbipam has none), with the v1 fixture's schema.
 */
export function calicoNativeV3Crds(): string {
  const dir = mkdtempSync(join(tmpdir(), "calico-v3-crds-"));
  for (const file of readdirSync(crdDirectory).filter((name) => name.endsWith(".yaml"))) {
    const crd = parse(readFileSync(join(crdDirectory, file), "utf8")) as { metadata: { labels?: object } };
    delete crd.metadata.labels;
    writeFileSync(join(dir, file), stringify(crd));
  }
  const blocks = parse(readFileSync(join(calicoV1Crds, "crd.projectcalico.org_ipamblocks.yaml"), "utf8")) as {
    metadata: { name: string };
    spec: { group: string; versions: { name: string }[] };
  };
  blocks.metadata.name = "ipamblocks.projectcalico.org";
  blocks.spec.group = "projectcalico.org";
  blocks.spec.versions[0]!.name = "v3";
  writeFileSync(join(dir, "ipamblocks.projectcalico.org.yaml"), stringify(blocks));
  return dir;
}
