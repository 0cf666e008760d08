CREATE TABLE "agents" (
	"id" text NOT NULL,
	"version" integer NOT NULL,
	"name" text NOT NULL,
	"config" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agents_id_version_pk" PRIMARY KEY("id","version")
);
--> statement-breakpoint
CREATE TABLE "tool_calls" (
	"turn_id" text NOT NULL,
	"call_id" text NOT NULL,
	"name" text NOT NULL,
	"args_hash" text NOT NULL,
	"idempotent" boolean NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tool_calls_turn_id_call_id_pk" PRIMARY KEY("turn_id","call_id")
);
--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "agent_id" text;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "token_budget" bigint;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "tokens_used" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "turns" ADD COLUMN "agent_version" integer;--> statement-breakpoint
ALTER TABLE "turns" ADD COLUMN "input_tokens" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "turns" ADD COLUMN "cached_input_tokens" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "turns" ADD COLUMN "output_tokens" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "turns" ADD COLUMN "cancel_requested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tool_calls" ADD CONSTRAINT "tool_calls_turn_id_turns_id_fk" FOREIGN KEY ("turn_id") REFERENCES "public"."turns"("id") ON DELETE no action ON UPDATE no action;