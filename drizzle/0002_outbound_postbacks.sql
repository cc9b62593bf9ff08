CREATE TABLE "outbound_postback_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"outbound_id" uuid NOT NULL,
	"workspace_id" uuid NOT NULL,
	"conversion_id" uuid NOT NULL,
	"source_id" uuid,
	"generation" integer NOT NULL,
	"attempt" integer NOT NULL,
	"url" text NOT NULL,
	"status_code" integer,
	"outcome" text NOT NULL,
	"error" text DEFAULT '' NOT NULL,
	"latency_ms" integer NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outbound_postbacks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"conversion_id" uuid NOT NULL,
	"conversion_event_id" bigint NOT NULL,
	"source_id" uuid,
	"status" text NOT NULL,
	"url" text NOT NULL,
	"macros" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"state" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"generation" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp (3) with time zone,
	"locked_until" timestamp (3) with time zone,
	"lease_token" uuid,
	"last_error" text DEFAULT '' NOT NULL,
	"last_status_code" integer,
	"delivered_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "outbound_postback_attempts" ADD CONSTRAINT "outbound_postback_attempts_outbound_id_outbound_postbacks_id_fk" FOREIGN KEY ("outbound_id") REFERENCES "public"."outbound_postbacks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outbound_postback_attempts" ADD CONSTRAINT "outbound_postback_attempts_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outbound_postbacks" ADD CONSTRAINT "outbound_postbacks_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outbound_postbacks" ADD CONSTRAINT "outbound_postbacks_conversion_id_conversions_id_fk" FOREIGN KEY ("conversion_id") REFERENCES "public"."conversions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outbound_postbacks" ADD CONSTRAINT "outbound_postbacks_conversion_event_id_conversion_events_id_fk" FOREIGN KEY ("conversion_event_id") REFERENCES "public"."conversion_events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outbound_postbacks" ADD CONSTRAINT "outbound_postbacks_source_id_traffic_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."traffic_sources"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "outbound_postback_attempts_round" ON "outbound_postback_attempts" USING btree ("outbound_id","generation","attempt");--> statement-breakpoint
CREATE INDEX "outbound_postback_attempts_ws" ON "outbound_postback_attempts" USING btree ("workspace_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "outbound_postbacks_event" ON "outbound_postbacks" USING btree ("conversion_event_id");--> statement-breakpoint
CREATE INDEX "outbound_postbacks_ws_created" ON "outbound_postbacks" USING btree ("workspace_id","created_at");--> statement-breakpoint
CREATE INDEX "outbound_postbacks_ws_conversion" ON "outbound_postbacks" USING btree ("workspace_id","conversion_id");--> statement-breakpoint
CREATE INDEX "outbound_postbacks_pending" ON "outbound_postbacks" USING btree ("next_attempt_at") WHERE "outbound_postbacks"."state" = 'pending';