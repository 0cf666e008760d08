DROP INDEX "turns_pending_created_idx";--> statement-breakpoint
DROP INDEX "turns_session_idempotency_key";--> statement-breakpoint
CREATE UNIQUE INDEX "turns_session_idempotency_key" ON "turns" USING btree ("session_id","idempotency_key") WHERE idempotency_key is not null;