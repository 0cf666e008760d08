-- Every submit checked these two keys with FOR KEY SHARE on the one tenant row and the one API key
-- row that all of a tenant's turns share: a lock, a WAL record and multixact churn per turn on a hot
-- row. The tenant is written through the turn's session (whose own key holds it); keys are revoked,
-- never deleted. See packages/db/src/schema/turns.ts.
ALTER TABLE "turns" DROP CONSTRAINT IF EXISTS "turns_tenant_id_tenants_id_fk";--> statement-breakpoint
ALTER TABLE "turns" DROP CONSTRAINT IF EXISTS "turns_api_key_id_api_keys_id_fk";
