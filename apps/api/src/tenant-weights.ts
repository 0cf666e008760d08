/**
 * Tenants' weights for fair scheduling (a tenant of weight 2 gets twice the worker slots of a tenant
 * of weight 1 when both have work), from TENANT_WEIGHTS (`acme=2,beta=1`); unlisted tenants weigh 1.
 * One lookup, so it can move to the tenants table without touching its callers.
 */
export function tenantWeights(spec: Record<string, number>): (tenantId: string) => number {
  return (tenantId) => spec[tenantId] ?? 1;
}

/** Parses `name=weight,…` (weights 1-1000); throws a message saying what to fix. */
export function parseTenantWeights(raw: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of raw.split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)=(\d{1,4})$/.exec(part);
    const w = m ? Number(m[2]) : NaN;
    if (!m || w < 1 || w > 1000) throw new Error(`TENANT_WEIGHTS: "${part}" is not name=weight with a weight of 1-1000, e.g. acme=2,beta=1`);
    out[m[1]!] = w;
  }
  return out;
}
