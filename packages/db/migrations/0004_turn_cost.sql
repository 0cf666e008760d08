ALTER TABLE "sessions" ADD COLUMN "cost_micros" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "turns" ADD COLUMN "cost_micros" bigint DEFAULT 0 NOT NULL;