import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { test } from "node:test";
import { generateServingCertificates } from "../src/tls.js";

test("the serving certificate is signed by the CA and names loopback", async () => {
  const { caPem, certPem, keyPem } = await generateServingCertificates();
  const ca = new X509Certificate(caPem);
  const cert = new X509Certificate(certPem);
  assert.equal(ca.ca, true);
  assert.equal(cert.ca, false);
  assert.ok(cert.verify(ca.publicKey));
  assert.ok(cert.checkIssued(ca));
  assert.equal(cert.checkHost("localhost"), "localhost");
  assert.equal(cert.checkIP("127.0.0.1"), "127.0.0.1");
  assert.equal(cert.checkIP("::1"), "::1");
  assert.equal(cert.checkIP("10.0.0.1"), undefined);
  assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
});

test("extra names and addresses are included when asked for", async () => {
  const { certPem } = await generateServingCertificates(
    ["localhost", "api.example"],
    ["127.0.0.1", "192.0.2.10"],
  );
  const cert = new X509Certificate(certPem);
  assert.equal(cert.checkHost("api.example"), "api.example");
  assert.equal(cert.checkIP("192.0.2.10"), "192.0.2.10");
});
