// Reading the objects `simulate` runs over from YAML or JSON manifests
// (multi-document, and `kind: List` as `kubectl get -o yaml` prints it).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import {
  DEFAULT_CONFIGURATION_NAME,
  type IPPool,
  type IPReservation,
  type KubeControllersConfiguration,
  type Namespace,
  type Service,
} from "@lbipam/api";
import { parseAllDocuments } from "yaml";
import { InputError } from "./errors.js";
import type { ClusterObjects } from "./state.js";

export interface ManifestResult {
  objects: ClusterObjects;
  /** Objects of kinds simulate does not read, one line each. */
  ignored: string[];
}

type Manifest = { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown }; items?: unknown };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses manifests from text; `source` names the file in errors. */
export function parseManifests(texts: { source: string; text: string }[]): ManifestResult {
  const objects: ClusterObjects = {
    pools: [],
    reservations: [],
    services: [],
    namespaces: [],
    configuration: undefined,
    blocks: [],
  };
  const ignored: string[] = [];
  const seen = new Set<string>();
  const add = (source: string, value: unknown, itemKind?: string): void => {
    if (value === null || value === undefined) return;
    if (!isObject(value))
      throw new InputError(`${source}: expected an object, found ${JSON.stringify(value)}`);
    const manifest = (
      itemKind !== undefined && value.kind === undefined ? { ...value, kind: itemKind } : value
    ) as Manifest;
    // `kind: List` (kubectl get -o yaml), or a typed list (IPPoolList, ServiceList) as the API returns it.
    const isList =
      manifest.kind === "List" ||
      (Array.isArray(manifest.items) &&
        (manifest.kind === undefined || String(manifest.kind).endsWith("List")));
    if (isList) {
      if (!Array.isArray(manifest.items)) throw new InputError(`${source}: a List without items`);
      // The API leaves kind out of a typed list's items: an IPPoolList holds IPPools.
      const kind = String(manifest.kind ?? "");
      const itemKind = kind !== "List" && kind.endsWith("List") ? kind.slice(0, -"List".length) : undefined;
      for (const item of manifest.items) add(source, item, itemKind);
      return;
    }
    const name = manifest.metadata?.name;
    if (typeof name !== "string" || name === "") {
      throw new InputError(`${source}: a ${String(manifest.kind ?? "manifest")} without metadata.name`);
    }
    const kind = String(manifest.kind ?? "");
    if (kind === "Service") {
      const namespace =
        typeof manifest.metadata?.namespace === "string" ? manifest.metadata.namespace : "default";
      const service = manifest as unknown as Service;
      const copy: Service = { ...service, metadata: { ...service.metadata, namespace } };
      const id = `Service ${namespace}/${name}`;
      if (seen.has(id)) throw new InputError(`${source}: ${id} is given twice`);
      seen.add(id);
      objects.services.push(copy);
      return;
    }
    const id = `${kind} ${name}`;
    const unique = () => {
      if (seen.has(id)) throw new InputError(`${source}: ${id} is given twice`);
      seen.add(id);
    };
    switch (kind) {
      case "IPPool":
        unique();
        objects.pools.push(manifest as unknown as IPPool);
        return;
      case "IPReservation":
        unique();
        objects.reservations.push(manifest as unknown as IPReservation);
        return;
      case "Namespace":
        unique();
        objects.namespaces.push(manifest as unknown as Namespace);
        return;
      // `kubectl get ipamblocks.crd.projectcalico.org -o yaml`: what Calico's own controller recorded.
      case "IPAMBlock":
        unique();
        objects.blocks?.push(manifest);
        return;
      case "KubeControllersConfiguration":
        if (name === DEFAULT_CONFIGURATION_NAME) {
          unique();
          objects.configuration = manifest as unknown as KubeControllersConfiguration;
        } else ignored.push(`${source}: ${id} (only the one named default counts)`);
        return;
      default:
        ignored.push(`${source}: ${kind || "an object without kind"} ${name} (not read by simulate)`);
    }
  };
  for (const { source, text } of texts) {
    for (const document of parseAllDocuments(text)) {
      if (document.errors.length > 0) {
        throw new InputError(`${source}: ${document.errors[0]!.message}`);
      }
      add(source, document.toJS());
    }
  }
  return { objects, ignored };
}

/** The extensions kubectl reads from a directory (k8s.io/cli-runtime pkg/resource/builder.go, FileExtensions). */
const MANIFEST_EXTENSIONS = [".json", ".yaml", ".yml"];

/**
 * The files `-f` names, as kubectl expands them: a file as it is (whatever
 * its name), a directory as its .json, .yaml and .yml files in name order,
 * and its subdirectories too only with `recursive` (kubectl's -R).
 */
export function expandFilenames(paths: string[], recursive = false): string[] {
  const files: string[] = [];
  const walk = (dir: string, top: boolean) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (recursive) walk(path, false);
      } else if (MANIFEST_EXTENSIONS.includes(extname(entry.name))) files.push(path);
    }
    if (top && files.length === 0) throw new InputError(`${dir}: no .json, .yaml or .yml files`);
  };
  for (const path of paths) {
    let directory = false;
    try {
      directory = path !== "-" && statSync(path).isDirectory();
    } catch (error) {
      throw new InputError(`cannot read ${path}: ${(error as Error).message}`);
    }
    if (directory) walk(path, true);
    else files.push(path);
  }
  return files;
}

/** Reads files and directories (`-` is standard input). */
export function readManifests(paths: string[], recursive = false): ManifestResult {
  const texts = expandFilenames(paths, recursive).map((file) => {
    try {
      return { source: file === "-" ? "<stdin>" : file, text: readFileSync(file === "-" ? 0 : file, "utf8") };
    } catch (error) {
      throw new InputError(`cannot read ${file}: ${(error as Error).message}`);
    }
  });
  return parseManifests(texts);
}
