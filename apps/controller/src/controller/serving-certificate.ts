// The certificate /metrics is served with over HTTPS, as controller-runtime's metrics server
// chooses it (pkg/metrics/server/server.go, createListener): tls.crt and tls.key of a
// directory (its CertDir, CertName and KeyName), read again when they change so that a
// rotated Secret is picked up (its certwatcher does the same); or, with no directory, a
// self-signed certificate for localhost made at start. Scrapers then skip verification, as
// kubebuilder's default ServiceMonitor does: the point is that the token travels encrypted.
import { KeyObject, randomBytes, webcrypto } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createSecureContext } from "node:tls";
import { ServingCertificateError } from "../errors.js";

export interface ServingCertificate {
  cert: string;
  key: string;
}

export const CERT_FILE = "tls.crt";
export const KEY_FILE = "tls.key";

/** tls.crt and tls.key of `directory`, checked to be a certificate and its key. */
export function readCertificateDir(directory: string): ServingCertificate {
  let certificate: ServingCertificate;
  try {
    certificate = {
      cert: readFileSync(join(directory, CERT_FILE), "utf8"),
      key: readFileSync(join(directory, KEY_FILE), "utf8"),
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ServingCertificateError(directory, `cannot read it: ${reason}`, { cause: error });
  }
  try {
    createSecureContext(certificate);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ServingCertificateError(directory, `not a certificate and its key: ${reason}`, {
      cause: error,
    });
  }
  return certificate;
}

/**
 * Reads `directory` every `intervalMs` and calls `changed` with a new certificate and key
 * (a pair that does not load, as in the middle of a rotation, is reported and skipped).
 */
export function watchCertificateDir(
  directory: string,
  current: ServingCertificate,
  intervalMs: number,
  changed: (certificate: ServingCertificate) => void,
  failed: (error: ServingCertificateError) => void,
): { stop(): void } {
  let served = current;
  const timer = setInterval(() => {
    try {
      const next = readCertificateDir(directory);
      if (next.cert === served.cert && next.key === served.key) return;
      served = next;
      changed(next);
    } catch (error) {
      if (error instanceof ServingCertificateError) failed(error);
      else throw error;
    }
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const VALID_FOR_MS = 365 * 24 * 3600 * 1000;

/** A self-signed certificate for localhost, 127.0.0.1 and ::1, valid for a year. */
export async function selfSignedCertificate(): Promise<ServingCertificate> {
  // Loaded only here: a controller given a certificate (or serving plain HTTP) never needs it.
  const x509 = await import("@peculiar/x509");
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const notBefore = new Date(Date.now() - 60_000);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    // A leading 01 keeps it positive: DER integers are signed.
    serialNumber: `01${randomBytes(15).toString("hex")}`,
    name: "CN=lbipam-controller-metrics",
    notBefore,
    notAfter: new Date(notBefore.getTime() + VALID_FOR_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: "dns", value: "localhost" },
        { type: "ip", value: "127.0.0.1" },
        { type: "ip", value: "::1" },
      ]),
    ],
  });
  const key = KeyObject.from(keys.privateKey).export({ type: "pkcs8", format: "pem" });
  return { cert: certificate.toString("pem"), key: String(key) };
}
