DROP INDEX IF EXISTS "sessions_tenant_idx";--> statement-breakpoint
CREATE INDEX "sessions_tenant_id_idx" ON "sessions" USING btree ("tenant_id","id");
