// Timestamps as Kubernetes writes metav1.Time.

/** Seconds-precision RFC 3339, as Kubernetes writes metav1.Time. */
export function kubeTimestamp(date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
